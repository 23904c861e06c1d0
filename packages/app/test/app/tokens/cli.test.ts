// `cloakroom clients …` and `cloakroom keys …` as child processes, on the data folder (or the PostgreSQL
// database) of a server that is running at the same time.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import {
  DATABASE_URL,
  describePostgres,
  freshSchema,
  testPool,
} from '../../../../cloakroom/test/stores/postgres-support.js';
import { assertOAuthError, inspect, mint, oauthPost, signedIn } from './support.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'packages/app/src/cli/main.ts'];

async function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...CLI, ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function credentials(stdout: string): { client_id: string; client_secret: string } {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one line of output');
  const parsed = JSON.parse(lines[0]!) as Record<string, string>;
  assert.deepEqual(Object.keys(parsed), ['client_id', 'client_secret']);
  return parsed as { client_id: string; client_secret: string };
}

describe('cloakroom clients and keys, beside a running server (SQLite)', () => {
  let app: TestApp;
  let env: Record<string, string>;
  before(async () => {
    app = await startTestApp();
    env = { CLOAKROOM_DATA_DIR: app.dataDir };
  });
  after(async () => {
    await app.stop();
  });

  test('clients add prints {"client_id","client_secret"} once; the running server accepts it at once', async () => {
    const added = await cli(
      [
        'clients',
        'add',
        'reports',
        '--scope',
        'notes:read',
        '--audience',
        `${app.origin}/api`,
        'https://r.example',
        '--resource',
        'https://reports.example',
      ],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    const { client_id, client_secret } = credentials(added.stdout);
    assert.equal(client_id, 'reports');
    assert.match(client_secret, /^[A-Za-z0-9_-]{43}$/);
    const stored = await app.services.tokens.issuer.clients.find('reports');
    assert.ok(stored !== null && !stored.secretHash.includes(client_secret), 'only a hash is stored');
    assert.deepEqual(stored.resources, ['https://reports.example'], 'the audience it serves');

    const granted = await oauthPost(
      app,
      '/oauth/token',
      { grant_type: 'client_credentials', audience: 'https://r.example' },
      { basic: { id: client_id, secret: client_secret } },
    );
    assert.equal(granted.status, 200, granted.text);

    const listed = await cli(['clients', 'list', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(client_secret), 'never the secret');
    const rows = JSON.parse(listed.stdout) as {
      client_id: string;
      scopes: string[];
      audiences: string[];
      resources: string[];
    }[];
    assert.deepEqual(
      rows.map((row) => [row.client_id, row.scopes, row.audiences, row.resources]),
      [['reports', ['notes:read'], [`${app.origin}/api`, 'https://r.example'], ['https://reports.example']]],
    );
    const text = await cli(['clients', 'list'], env);
    assert.match(
      text.stdout,
      /^reports {2}scope: notes:read {2}audience: .* {2}serves: https:\/\/reports\.example {2}created /,
    );

    const again = await cli(['clients', 'add', 'reports', '--scope', 'a', '--audience', 'b'], env);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already registered/);

    const removed = await cli(['clients', 'remove', 'reports'], env);
    assert.equal(removed.code, 0, removed.stderr);
    assertOAuthError(
      await oauthPost(
        app,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        { basic: { id: client_id, secret: client_secret } },
      ),
      401,
      'invalid_client',
    );
    const missing = await cli(['clients', 'remove', 'reports'], env);
    assert.equal(missing.code, 2);
  });

  test('clients add refuses bad input with a clear message and no stack trace', async () => {
    for (const args of [
      ['clients', 'add', 'bad id', '--scope', 'a', '--audience', 'b'],
      ['clients', 'add', 'session', '--scope', 'a', '--audience', 'b'],
      ['clients', 'add', 'x', '--scope', 'a"b', '--audience', 'b'],
      ['clients', 'add', 'x', '--audience', 'b'],
    ]) {
      const result = await cli(args, env);
      assert.notEqual(result.code, 0, args.join(' '));
      assert.match(result.stderr, /cloakroom|error/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    const badEnv = await cli(['clients', 'list'], { ...env, CLOAKROOM_ACCESS_TOKEN_SECONDS: '7200' });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /CLOAKROOM_ACCESS_TOKEN_SECONDS must be between 1 and 3600/);
    const serve = await cli(['serve', '--port', '0'], { ...env, CLOAKROOM_ACCESS_TOKEN_SECONDS: '3601' });
    assert.equal(serve.code, 2, 'the server refuses to start');
    assert.match(serve.stderr, /CLOAKROOM_ACCESS_TOKEN_SECONDS must be between 1 and 3600/);
    assert.doesNotMatch(serve.stderr, /\n\s+at /);
  });

  test('keys rotate while the server runs: it publishes, then signs with, the key that was next', async () => {
    const listed = await cli(['keys', 'list', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout) as { kid: string; state: string; alg: string }[];
    assert.deepEqual(
      keys.map((key) => key.state),
      ['current', 'next'],
    );
    assert.ok(!listed.stdout.includes('"d"'), 'no private key material');
    const current = keys[0]!;
    const next = keys[1]!;

    const rotated = await cli(['keys', 'rotate'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, new RegExp(`${next.kid} signs now`));

    // A JWKS request re-reads the keyring: the rotation shows at once.
    const jwks = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    const kids = jwks.keys.map((key) => key.kid);
    assert.equal(kids[0], next.kid);
    assert.ok(kids.includes(current.kid));
    assert.equal(kids.length, 3);
    const { client } = await signedIn(app);
    assert.equal(inspect((await mint(client)).access_token).header.kid, next.kid);

    const text = await cli(['keys', 'list'], env);
    assert.match(text.stdout, new RegExp(`${current.kid} {2}retired`));
  });
});

describePostgres('cloakroom clients on PostgreSQL, beside a running server', () => {
  let app: TestApp;
  let env: Record<string, string>;
  let dropSchema: () => Promise<void>;
  const admin = testPool();
  before(async () => {
    const schema = await freshSchema(admin);
    dropSchema = schema.drop;
    const url = `${DATABASE_URL}?options=-c%20search_path%3D${schema.name}`;
    env = { CLOAKROOM_DATABASE_URL: url };
    app = await startTestApp({ env });
    env.CLOAKROOM_DATA_DIR = app.dataDir;
  });
  after(async () => {
    await app.stop();
    await dropSchema();
    await admin.end();
  });

  test('a client added by the CLI works on the server; refresh tokens live in PostgreSQL', async () => {
    const added = await cli(
      ['clients', 'add', 'pg-svc', '--scope', 'x:read', '--audience', 'https://x.example'],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    const { client_id, client_secret } = credentials(added.stdout);
    const granted = await oauthPost(
      app,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      { basic: { id: client_id, secret: client_secret } },
    );
    assert.equal(granted.status, 200, granted.text);

    const { client } = await signedIn(app);
    const tokens = await mint(client);
    const refreshed = await oauthPost(app, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    await client.post('/api/auth/logout');
    assertOAuthError(
      await oauthPost(app, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: refreshed.body.refresh_token as string,
      }),
      400,
      'invalid_grant',
    );
  });
});
