import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { UnsecuredJWT } from 'jose';
import { listen } from '../../../cloakroom/test/helpers/http.js';
import { goodClaims, publicJwks, sign } from '../../../cloakroom/test/inspect/support.js';

const CLI = ['--import', 'tsx', 'packages/app/src/cli/main.ts', 'inspect'];
const dir = mkdtempSync(join(tmpdir(), 'cloakroom-inspect-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cloakroom inspect` as a child process (async, so a test server in this process can answer it). */
function run(args: string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      env: { ...process.env, NO_COLOR: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
    // The command may stop reading early (oversized input): a broken pipe here is expected, not a failure.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

function noStack(result: Run): void {
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  assert.doesNotMatch(result.stdout, /\n\s+at /);
}

describe('cloakroom inspect (the command, as a child process)', () => {
  test('a token argument: text report, no colour when not a TTY, exit 0', async () => {
    const result = await run([await sign(goodClaims(true))]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^JWT \(signed, JWS\)/);
    assert.match(result.stdout, /Findings \(2\)/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(result.stdout, /\u001b\[/);
  });

  test('stdin, with "-" or no argument: a Cookie header with newlines around it', async () => {
    const token = await sign({ ...goodClaims(true), roles: ['admin'] });
    const header = `\n  Cookie: theme=dark; jwt=${token}\n\n`;
    for (const args of [['-'], []]) {
      const result = await run([...args, '--json'], header);
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(result.stdout) as {
        source: { cookieName: string };
        findings: { id: string }[];
      };
      assert.equal(report.source.cookieName, 'jwt');
      assert.ok(report.findings.some((f) => f.id === 'authorization_data_in_clear'));
    }
  });

  test('--json prints one object of the documented shape', async () => {
    const token = await sign(goodClaims(true));
    const result = await run([token, '--json', '--requests', '1000']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    const schema = JSON.parse(readFileSync('docs/inspect-report.schema.json', 'utf8')) as object;
    const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema);
    assert.ok(validate(report), JSON.stringify(validate.errors));
    assert.deepEqual(Object.keys(report), [
      'version',
      'kind',
      'source',
      'header',
      'claims',
      'times',
      'sizes',
      'traffic',
      'verification',
      'findings',
      'highestSeverity',
    ]);
    assert.equal(report.version, 1);
    assert.equal(report.kind, 'jws');
    assert.deepEqual(report.source, {
      type: 'bare',
      cookieName: null,
      cookieValueBytes: null,
      otherTokenCookies: [],
    });
    const sizes = report.sizes as { tokenBytes: number; cloakroomCookieBytes: number };
    assert.equal(sizes.tokenBytes, token.length);
    assert.equal(sizes.cloakroomCookieBytes, 62);
    const traffic = report.traffic as { requests: number; extraBytes: number; extraMegabytes: number };
    assert.equal(traffic.requests, 1000);
    assert.equal(traffic.extraBytes, (token.length - 62) * 1000);
    const times = report.times as { exp: { value: number; iso: string }; lifetimeSeconds: number };
    assert.equal(times.exp.iso, new Date(times.exp.value * 1000).toISOString());
    assert.equal(times.lifetimeSeconds, 600);
    assert.deepEqual(report.verification, {
      status: 'skipped',
      code: null,
      reason: 'no --jwks or --key given',
      algorithms: null,
    });
    for (const finding of report.findings as Record<string, unknown>[]) {
      assert.deepEqual(Object.keys(finding), ['id', 'severity', 'message']);
    }
  });

  test('--fail-on: exit 1 when a finding is at or above the threshold, 0 below it, 2 for a bad severity', async () => {
    const claims = goodClaims(true);
    delete claims.exp;
    const noExp = await sign(claims);
    assert.equal((await run([noExp, '--fail-on', 'high'])).status, 1);
    assert.equal((await run([noExp, '--fail-on', 'critical'])).status, 0);
    const none = new UnsecuredJWT(goodClaims(true)).encode();
    assert.equal((await run([none, '--fail-on', 'critical', '--json'])).status, 1);
    assert.equal((await run([await sign(goodClaims(true)), '--fail-on', 'low'])).status, 0);
    const bad = await run([noExp, '--fail-on', 'severe']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Allowed choices are info, low, medium, high, critical/);
  });

  test('garbage input: a clear message, exit 2, no stack trace, the input not echoed', async () => {
    const oversized = `${await sign(goodClaims(true))}${' '.repeat(2 * 1024 * 1024)}`;
    for (const input of [
      'not a token at all',
      'eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24tc2VjcmV0.c2ln',
      '',
      oversized,
    ]) {
      const result = await run(['-'], input);
      assert.equal(result.status, 2, input);
      assert.match(result.stderr, /^cloakroom inspect: /);
      assert.equal(result.stdout, '');
      noStack(result);
      if (input.length > 0) assert.ok(!result.stderr.includes(input.trim()));
      assert.ok(!result.stderr.includes('bm90LWpzb24tc2VjcmV0'));
    }
  });

  test('usage errors exit 2: a bad --requests, --alg none, --jwks with --key, an unreadable key file', async () => {
    const token = await sign(goodClaims(true));
    for (const args of [
      ['--requests', 'lots'],
      ['--alg', 'none', '--key', 'x.pem'],
      ['--jwks', 'a.json', '--key', 'b.pem'],
      ['--key', join(dir, 'missing.pem')],
      ['--unknown'],
    ]) {
      const result = await run([token, ...args]);
      assert.equal(result.status, 2, args.join(' '));
      noStack(result);
    }
  });

  test('--jwks file: valid (exit 0); --key with another key: INVALID and why (exit 1)', async () => {
    const jwks = join(dir, 'jwks.json');
    writeFileSync(jwks, JSON.stringify(await publicJwks()));
    const token = await sign(goodClaims(true));
    const valid = await run([token, '--jwks', jwks, '--issuer', 'https://auth.example.com']);
    assert.equal(valid.status, 0, valid.stderr);
    assert.match(valid.stdout, /^ {2}valid \(algorithms allowed: .*EdDSA/m);
    const wrongAudience = await run([token, '--jwks', jwks, '--audience', 'https://other.example', '--json']);
    assert.equal(wrongAudience.status, 1);
    const verification = (JSON.parse(wrongAudience.stdout) as { verification: { code: string } })
      .verification;
    assert.equal(verification.code, 'claim_invalid');
    const hs256 = await sign(goodClaims(true), { typ: 'at+jwt' }, 'HS256');
    const confused = await run([hs256, '--jwks', jwks]);
    assert.equal(confused.status, 1);
    assert.match(confused.stdout, /INVALID: the token's alg is not in the allowlist/);
    const jwe = `${Buffer.from('{"alg":"dir","enc":"A128GCM"}').toString('base64url')}..aXY.Y3Q.dGFn`;
    const unverifiable = await run([jwe, '--jwks', jwks]);
    assert.equal(unverifiable.status, 1, 'a verification asked for and impossible is not a pass');
    assert.match(unverifiable.stdout, /not verified: a JWE is encrypted/);
    assert.equal((await run([jwe])).status, 0, 'without --jwks nothing was asked');
  });

  test('--jwks URL: verified against a JWKS served on loopback', async () => {
    const jwks = JSON.stringify(await publicJwks());
    const server = await listen(
      createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      }),
    );
    try {
      const result = await run([
        await sign(goodClaims(true)),
        '--jwks',
        `${server.url}/.well-known/jwks.json`,
      ]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^ {2}valid/m);
    } finally {
      await server.close();
    }
  });

  // `script` (util-linux) gives the child a real terminal, which is what turns colours on.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  test(
    'colour on a terminal, none with NO_COLOR set',
    { skip: !hasScript && process.env.CI !== 'true' ? 'no `script` command to make a terminal' : false },
    async () => {
      const token = await sign(goodClaims(true));
      const command = [process.execPath, ...CLI, token].join(' ');
      const onTty = spawnSync('script', ['-qec', command, '/dev/null'], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '', TERM: 'xterm' },
      });
      assert.equal(onTty.status, 0, onTty.stderr);
      // eslint-disable-next-line no-control-regex
      assert.match(onTty.stdout, /\u001b\[1mJWT \(signed, JWS\)\u001b\[22m/);
      const noColor = spawnSync('script', ['-qec', command, '/dev/null'], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' },
      });
      assert.equal(noColor.status, 0, noColor.stderr);
      assert.match(noColor.stdout, /JWT \(signed, JWS\)/);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(noColor.stdout, /\u001b\[/);
    },
  );

  test(
    'no argument on a terminal: asks for a token instead of waiting for stdin (exit 2)',
    { skip: !hasScript && process.env.CI !== 'true' ? 'no `script` command to make a terminal' : false },
    () => {
      const command = [process.execPath, ...CLI].join(' ');
      const result = spawnSync('script', ['-qec', command, '/dev/null'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
      assert.equal(result.status, 2);
      assert.match(result.stdout, /give a token, or pipe one in/);
    },
  );

  test('--help documents the options and exit codes', async () => {
    const result = await run(['--help']);
    assert.equal(result.status, 0);
    for (const word of [
      '--jwks',
      '--key',
      '--alg',
      '--issuer',
      '--audience',
      '--requests',
      '--json',
      '--fail-on',
      'Exit codes',
    ]) {
      assert.ok(result.stdout.includes(word), word);
    }
  });
});
