import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const CLI = ['--import', 'tsx', 'packages/app/src/cli/main.ts'];

describe('cloakroom serve (what npm start runs)', () => {
  test('--help lists the options and the environment variables', () => {
    const result = spawnSync(process.execPath, [...CLI, 'serve', '--help'], { encoding: 'utf8' });
    assert.equal(result.status, 0);
    for (const word of [
      '--port',
      '--host',
      '--data-dir',
      '--origin',
      'CLOAKROOM_DATA_DIR',
      'CLOAKROOM_ORIGIN',
      'CLOAKROOM_DATABASE_URL',
      'CLOAKROOM_STORE',
      'CLOAKROOM_NEAR_CACHE',
      'CLOAKROOM_OIDC_CONFIG',
      'CLOAKROOM_SMTP_URL',
      'CLOAKROOM_MAIL_FROM',
    ]) {
      assert.ok(result.stdout.includes(word), word);
    }
  });

  test('a bad origin is refused with a clear message and no stack trace', () => {
    const result = spawnSync(process.execPath, [...CLI, 'serve'], {
      encoding: 'utf8',
      env: { ...process.env, CLOAKROOM_ORIGIN: 'http://example.com', CLOAKROOM_DATA_DIR: tmpdir() },
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /CLOAKROOM_ORIGIN must be https/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test('a public origin without a mail server is refused: users would never get their links', () => {
    const result = spawnSync(process.execPath, [...CLI, 'serve'], {
      encoding: 'utf8',
      env: { ...process.env, CLOAKROOM_ORIGIN: 'https://example.com', CLOAKROOM_DATA_DIR: tmpdir() },
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /needs a mail server: set CLOAKROOM_SMTP_URL/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test('a malformed CLOAKROOM_SMTP_URL is refused without repeating it (it may hold a password)', () => {
    const result = spawnSync(process.execPath, [...CLI, 'serve'], {
      encoding: 'utf8',
      env: { ...process.env, CLOAKROOM_SMTP_URL: 'http://user:hunter2@mail', CLOAKROOM_DATA_DIR: tmpdir() },
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /CLOAKROOM_SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
    assert.doesNotMatch(result.stderr, /hunter2/);
  });

  test('a bad CLOAKROOM_MIGRATE_CONFIG stops serve with a message naming the field, never its secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloakroom-migrate-config-'));
    try {
      const path = join(dir, 'migrate.json');
      const secret = 'a legacy secret that must not be printed 0123456789';
      writeFileSync(
        path,
        JSON.stringify({
          sources: [{ kind: 'jwt', cookie: 'token', algorithms: ['none'], secret, emailClaim: 'email' }],
        }),
      );
      const result = spawnSync(process.execPath, [...CLI, 'serve'], {
        encoding: 'utf8',
        env: { ...process.env, CLOAKROOM_MIGRATE_CONFIG: path, CLOAKROOM_DATA_DIR: dir },
      });
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /CLOAKROOM_MIGRATE_CONFIG: sources\[0\]\.algorithms/);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
      assert.ok(!result.stderr.includes(secret), 'the secret is not repeated');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('starts on a fresh data folder, prints its URL, serves, keeps secrets private and unlogged', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloakroom-cli-'));
    const child = spawn(process.execPath, [...CLI, 'serve', '--port', '0', '--data-dir', dataDir], {
      env: { ...process.env, CLOAKROOM_ORIGIN: 'http://localhost:3000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${output}`)), 20_000);
        child.stdout.on('data', () => {
          const match = /listening on (http:\/\/[^\s,)]+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      assert.match(output, /Cloakroom is running at http:\/\/localhost:3000/);
      const health = await fetch(`${url}/healthz`);
      assert.deepEqual(await health.json(), { ok: true });
      assert.equal(statSync(join(dataDir, 'secrets.json')).mode & 0o777, 0o600);
      const key = (
        JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { sessionKeys: string[] }
      ).sessionKeys[0]!;
      assert.equal(output.includes(key), false, 'the secret never reaches the output');
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
