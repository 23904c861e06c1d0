// `cloakroom stores init dynamodb` through the real command line, against dynalite (a local DynamoDB
// emulator) started in this process; credentials are the dummy ones of the test environment, read by the
// SDK's standard chain in the child process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Dynalite } from '../../../cloakroom/test/helpers/dynalite.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'packages/app/src/cli/main.ts', 'stores', 'init', 'dynamodb'];

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [...CLI, ...args], {
      env: { ...process.env, CLOAKROOM_STORE: '', ...env },
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('cloakroom stores init dynamodb', () => {
  const emulator = new Dynalite();
  before(() => emulator.start());
  after(() => emulator.stop());

  test('creates the table and its index once; again, it says it exists', async () => {
    const url = `dynamodb://cr-cli-sessions?region=us-east-1&endpoint=${encodeURIComponent(emulator.endpoint)}`;
    const first = await cli([], { CLOAKROOM_STORE: url });
    assert.equal(first.status, 0, first.stderr);
    assert.match(
      first.stdout,
      /^Created DynamoDB table cr-cli-sessions: partition key pk, index byUser on userId\.$/m,
    );
    assert.match(first.stdout, /TTL: this endpoint has no UpdateTimeToLive/);
    const client = new DynamoDBClient(emulator.clientConfig());
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: 'cr-cli-sessions' }));
      assert.equal(Table?.GlobalSecondaryIndexes?.[0]?.IndexName, 'byUser');
    } finally {
      client.destroy();
    }
    const again = await cli(['--url', url]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^DynamoDB table cr-cli-sessions already exists with the expected layout\.$/m);
  });

  test('refuses credentials in the URL, unknown parameters and a missing URL, with no stack trace', async () => {
    for (const [args, message] of [
      [['--url', 'dynamodb://AKIAEXAMPLE:secret@sessions'], /must not hold credentials/],
      [['--url', 'dynamodb://sessions?accessKeyId=AKIAEXAMPLE'], /unknown parameter "accessKeyId"/],
      [['--url', 'dynamodb://x'], /table name of 3-255 characters/],
      [[], /give --url dynamodb:/],
      [['--url', 'dynamodb://sessions', '--read', '5'], /--read and --write go together/],
    ] as const) {
      const result = await cli([...args]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /secret|\n\s+at /);
    }
  });
});
