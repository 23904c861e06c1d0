import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createSessionManager } from '../../src/session/manager.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { decodeToken, extractToken, InspectError } from '../../src/inspect/index.js';
import { craft, goodClaims, inspect, sign } from './support.js';

async function sessionToken(signed = true): Promise<string> {
  const manager = createSessionManager({
    store: new MemoryStore(),
    origin: 'https://example.com',
    ...(signed ? { keys: ['k'.repeat(32)] } : { signed: false }),
  });
  return (await manager.create('user-1')).token;
}

function refused(input: string, code = 'no_token'): void {
  assert.throws(
    () => decodeToken(extractToken(input)),
    (error: unknown) => error instanceof InspectError && error.code === code,
    JSON.stringify(input.slice(0, 40)),
  );
}

describe('inspect input: finding the token', () => {
  test('a bare JWT, with whitespace and newlines around and inside it', async () => {
    const token = await sign(goodClaims());
    for (const input of [token, `  ${token}\n`, `\n\t${token.slice(0, 50)}\n${token.slice(50)}\r\n`]) {
      const found = extractToken(input);
      assert.equal(found.token, token);
      assert.equal(found.kind, 'jws');
      assert.equal(found.source, 'bare');
    }
  });

  test('an Authorization header or a bare Bearer value', async () => {
    const token = await sign(goodClaims());
    for (const input of [
      `Authorization: Bearer ${token}`,
      `Bearer ${token}`,
      `authorization:bearer   ${token}`,
    ]) {
      const found = extractToken(input);
      assert.equal(found.token, token);
      assert.equal(found.source, 'authorization');
    }
  });

  test('a Cookie header: the first cookie holding a JWT, the others named', async () => {
    const access = await sign(goodClaims());
    const id = await sign({ ...goodClaims(), nonce: 'n' });
    const found = extractToken(`Cookie: theme=dark; access_token=${access}; lang=en; id_token="${id}"`);
    assert.equal(found.token, access);
    assert.equal(found.cookieName, 'access_token');
    assert.deepEqual(found.otherTokenCookies, ['id_token']);
    const chosen = extractToken(`theme=dark; access_token=${access}; id_token=${id}`, {
      cookieName: 'id_token',
    });
    assert.equal(chosen.token, id);
    assert.throws(() => extractToken(`a=1; b=${access}`, { cookieName: 'c' }), InspectError);
  });

  test('a name=value pair and a Set-Cookie line', async () => {
    const token = await sign(goodClaims());
    assert.equal(extractToken(`session=${token}`).cookieName, 'session');
    const fromSetCookie = extractToken(
      `Set-Cookie: session=${token}; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
    assert.equal(fromSetCookie.token, token);
  });

  test('a JWT wrapped in a signed cookie (s:<jwt>.<mac>, percent-encoded): the wrapping is counted', async () => {
    const token = await sign(goodClaims());
    const value = `s%3A${token}.Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy`;
    const report = await inspect(`connect.sid=${value}`);
    assert.equal(report.kind, 'jws');
    assert.equal(report.sizes.tokenBytes, token.length);
    assert.equal(report.sizes.onWireBytes, value.length);
    assert.equal(report.traffic?.tokenBytes, value.length);
    assert.match(report.findings.find((f) => f.id === 'size_vs_cookie')!.message, /wrapping included/);
  });

  test('a Cloakroom session cookie is recognised as an opaque ticket, signed or not', async () => {
    const token = await sessionToken();
    for (const input of [
      token,
      `__Host-cloakroom=${token}`,
      `Cookie: theme=dark; __Host-cloakroom=${token}`,
    ]) {
      const report = await inspect(input);
      assert.equal(report.kind, 'session');
      assert.equal(report.header, null);
      assert.equal(report.claims, null);
      assert.equal(report.sizes.tokenBytes, 62);
      assert.deepEqual(
        report.sizes.parts.map((part) => part.name),
        ['id', 'secret', 'mac'],
      );
      assert.equal(report.traffic, null);
      assert.deepEqual(
        report.findings.map((f) => f.id),
        ['opaque_session'],
      );
      assert.match(report.findings[0]!.message, /opaque 62-byte ticket, nothing to decode/);
    }
    const unsigned = await inspect(await sessionToken(false));
    assert.match(unsigned.findings[0]!.message, /39-byte ticket \(unsigned\)/);
  });

  test('a JWT cookie is preferred to the Cloakroom cookie beside it', async () => {
    const token = await sign(goodClaims());
    const found = extractToken(`__Host-cloakroom=${await sessionToken()}; jwt=${token}`);
    assert.equal(found.kind, 'jws');
  });

  test('garbage, empty input, wrong segment counts and undecodable parts are refused with a code', () => {
    refused('');
    refused('   \n ');
    refused('hello world');
    refused('a.b');
    refused('a.b.c.d');
    refused('theme=dark; lang=en');
    refused('x'.repeat(2 * 1024 * 1024));
    refused('abc.def.ghi', 'malformed_token');
    refused(`${craft({ alg: 'HS256' }, {}).split('.')[0]}.bm90IGpzb24.sig`, 'malformed_token');
    refused(`${craft({ alg: 'HS256' }, [1, 2]).split('.').slice(0, 2).join('.')}.sig`, 'malformed_token');
  });

  // A backtracking search took 9 s on 90 KB of `eyJeyJ…` here, and minutes on 1 MB: the timeout catches a hang.
  test('pathological input is handled in linear time (no backtracking search)', { timeout: 60_000 }, () => {
    assert.throws(() => extractToken(`a=${'eyJ'.repeat(300_000)}`), InspectError);
    assert.throws(() => decodeToken(extractToken(`a=b.${'eyJ.'.repeat(200_000)}`)), InspectError);
  });

  test('claims or a header nested past 64 levels are refused, however deep (no stack overflow)', () => {
    // Built as text: JSON.stringify itself cannot write 100,000 levels.
    const encode = (json: string) => Buffer.from(json).toString('base64url');
    const nested = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const header = encode('{"alg":"HS256"}');
    refused(`${header}.${encode(nested(100_000))}.c2ln`, 'malformed_token');
    refused(`${encode(`{"alg":"HS256","x":${nested(70)}}`)}.${encode('{}')}.c2ln`, 'malformed_token');
    assert.equal(decodeToken(extractToken(`${header}.${encode(nested(60))}.c2ln`)).header?.alg, 'HS256');
  });

  test('error messages never repeat the input', () => {
    const secretish = 'eyJzZWNyZXQiOiJ0b3Atc2VjcmV0In0.bm90IGpzb24.c2ln';
    try {
      decodeToken(extractToken(secretish));
      assert.fail('should throw');
    } catch (error) {
      assert.ok(error instanceof InspectError);
      for (const part of secretish.split('.')) assert.ok(!error.message.includes(part));
    }
  });

  test('property: any string either inspects or fails with an InspectError, never anything else', async () => {
    const token = await sign(goodClaims());
    const arbitraryInput = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc
        .array(fc.constantFrom('eyJ', '.', '=', ';', ' ', 'a', '%', '"', 'Bearer ', token.slice(0, 30)), {
          maxLength: 30,
        })
        .map((parts) => parts.join('')),
      fc.tuple(fc.nat(token.length), fc.string()).map(([at, noise]) => token.slice(0, at) + noise),
    );
    await fc.assert(
      fc.asyncProperty(arbitraryInput, async (input) => {
        try {
          await inspect(input);
        } catch (error) {
          assert.ok(error instanceof InspectError, String(error));
        }
      }),
      { numRuns: 500 },
    );
  });
});
