import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createVerifier, InvalidTokenError, type VerifierOptions } from '../../src/tokens/index.js';
import { ManualClock, SECOND } from '../helpers/clock.js';
import {
  attackTokens,
  AUDIENCE,
  claims,
  hmacRaw,
  ISSUER,
  memoryKeyring,
  NOW_SECONDS,
  rawEd25519Key,
  token,
} from './support.js';

const key = rawEd25519Key();
const attacker = rawEd25519Key('attacker');

function verifierFor(overrides: Partial<VerifierOptions> = {}, clock = new ManualClock(NOW_SECONDS * 1000)) {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['EdDSA'],
    jwks: key.jwks,
    clock,
    ...overrides,
  });
}

async function reasonOf(promise: Promise<unknown>, presented?: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      assert.equal(error.code, 'invalid_token');
      // No part of the token (header, claims or signature) ever appears in the message.
      for (const segment of presented?.split('.') ?? []) {
        if (segment.length >= 8) assert.ok(!error.message.includes(segment), error.message);
      }
      return error.reason;
    }
    throw error;
  }
  return 'accepted';
}

describe('access-token verifier', () => {
  test('accepts a valid token and returns its claims and scopes', async () => {
    const verified = await verifierFor().verify(token(key, {}, { scope: 'notes:read notes:write' }));
    assert.equal(verified.claims.sub, 'user-1');
    assert.equal(verified.claims.client_id, 'web');
    assert.deepEqual(verified.scopes, ['notes:read', 'notes:write']);
    assert.equal(verified.header.kid, key.kid);
    assert.ok(Object.isFrozen(verified) && Object.isFrozen(verified.claims));
  });

  test('accepts typ application/at+jwt (RFC 9068 allows both spellings)', async () => {
    await verifierFor().verify(token(key, { typ: 'application/at+jwt' }));
  });

  for (const cached of [true, false]) {
    test(`refuses each classic attack with a stable reason (${cached ? 'with' : 'without'} the cache)`, async () => {
      const verifier = verifierFor(cached ? {} : { cache: false });
      // The cache holds a valid token first, so no attack can ride on an entry.
      await verifier.verify(token(key));
      const wrong: string[] = [];
      for (const attack of attackTokens(key, attacker)) {
        const reason = await reasonOf(verifier.verify(attack.token), attack.token);
        if (reason !== attack.reason) wrong.push(`${attack.name}: ${reason}, expected ${attack.reason}`);
      }
      assert.deepEqual(wrong, []);
    });
  }

  test('clock tolerance: 30 s by default, at most 60 s', async () => {
    const clock = new ManualClock((NOW_SECONDS + 300) * 1000);
    const expiredBy = (seconds: number) => token(key, {}, { exp: NOW_SECONDS + 300 - seconds });
    assert.equal(await reasonOf(verifierFor({}, clock).verify(expiredBy(29))), 'accepted');
    assert.equal(await reasonOf(verifierFor({}, clock).verify(expiredBy(31))), 'expired');
    assert.equal(
      await reasonOf(verifierFor({ clockToleranceSeconds: 60 }, clock).verify(expiredBy(59))),
      'accepted',
    );
    assert.throws(() => verifierFor({ clockToleranceSeconds: 61 }), TypeError);
  });

  test('maximum token age and lifetime are configurable', async () => {
    const clock = new ManualClock((NOW_SECONDS + 1200) * 1000);
    const long = token(key, {}, { exp: NOW_SECONDS + 1800 });
    assert.equal(await reasonOf(verifierFor({}, clock).verify(long)), 'accepted');
    assert.equal(await reasonOf(verifierFor({ maxTokenAgeSeconds: 600 }, clock).verify(long)), 'expired');
    assert.equal(
      await reasonOf(verifierFor({ maxLifetimeSeconds: 900 }, clock).verify(long)),
      'claim_invalid',
    );
  });

  test('refuses non-string input and empty tokens as malformed', async () => {
    const verifier = verifierFor();
    for (const value of ['', undefined, null, 42, {}]) {
      assert.equal(await reasonOf(verifier.verify(value as string)), 'malformed');
    }
  });

  test('options: an explicit allowlist, never none, HMAC only with a secret, exactly one key source', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, jwks: key.jwks };
    assert.throws(() => createVerifier({ ...base, algorithms: [] }), TypeError);
    assert.throws(() => createVerifier({ ...base, algorithms: ['none' as 'EdDSA'] }), TypeError);
    assert.throws(() => createVerifier({ ...base, algorithms: ['HS256'] }), TypeError);
    assert.throws(
      () => createVerifier({ ...base, algorithms: ['EdDSA'], secret: Buffer.alloc(32) }),
      TypeError,
    );
    assert.throws(
      () =>
        createVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['EdDSA'],
          secret: Buffer.alloc(32),
        }),
      TypeError,
    );
    assert.throws(() => createVerifier({ ...base, algorithms: ['EdDSA'], issuer: '' }), TypeError);
    assert.throws(() => createVerifier({ ...base, algorithms: ['EdDSA'], audience: [] }), TypeError);
    assert.throws(() => createVerifier({ ...base, algorithms: ['EdDSA'], maxTokenBytes: 9000 }), TypeError);
  });

  test('HS256 with a shared secret: only HMAC algorithms, only that secret, at least 32 bytes', async () => {
    const secret = Buffer.alloc(32, 7);
    const hs = (key: Buffer) =>
      hmacRaw(key, JSON.stringify({ alg: 'HS256', typ: 'at+jwt' }), JSON.stringify(claims()));
    const verifier = verifierFor({ jwks: undefined, secret, algorithms: ['HS256'] });
    assert.equal((await verifier.verify(hs(secret))).claims.sub, 'user-1');
    assert.equal(await reasonOf(verifier.verify(hs(Buffer.alloc(32, 8)))), 'signature_invalid');
    assert.equal(await reasonOf(verifier.verify(token(key))), 'algorithm_not_allowed');
    assert.throws(
      () => verifierFor({ jwks: undefined, secret: Buffer.alloc(16), algorithms: ['HS256'] }),
      TypeError,
    );
  });

  test('ES256 and RS256 keyrings verify with their own allowlists, and not with each other', async () => {
    for (const alg of ['ES256', 'RS256'] as const) {
      const { keyring, clock, sign } = await memoryKeyring({ alg });
      const verifier = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: [alg],
        jwks: keyring,
        clock,
      });
      assert.equal((await verifier.verify(await sign())).claims.sub, 'user-1');
      const edOnly = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['EdDSA'],
        jwks: keyring,
        clock,
      });
      assert.equal(await reasonOf(edOnly.verify(await sign())), 'algorithm_not_allowed');
    }
  });
});

describe('verified-token cache', () => {
  function countingKeys() {
    let lookups = 0;
    return {
      source: {
        publicJwks() {
          lookups++;
          return key.jwks;
        },
      },
      get lookups() {
        return lookups;
      },
    };
  }

  test('a second presentation is served from the cache without a key lookup', async () => {
    const keys = countingKeys();
    const verifier = verifierFor({ jwks: keys.source });
    const valid = token(key);
    const first = await verifier.verify(valid);
    assert.equal(keys.lookups, 1);
    assert.equal(await verifier.verify(valid), first);
    assert.equal(keys.lookups, 1);
    assert.equal(verifier.cacheSize, 1);
  });

  test('every spelling of the signature shares one entry; altered header or payload spellings do not', async () => {
    const verifier = verifierFor();
    const valid = token(key);
    const [h, p, s] = valid.split('.') as [string, string, string];
    await verifier.verify(valid);
    // 64 signature bytes take 86 characters: the last carries 4 bits of data and 2 spare ones.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(s.at(-1)!);
    const variants = [1, 2, 3].map((bits) => `${h}.${p}.${s.slice(0, -1)}${alphabet[last ^ bits]!}`);
    for (const variant of variants) {
      assert.equal((await verifier.verify(variant)).claims.sub, 'user-1');
    }
    assert.equal(verifier.cacheSize, 1);
    // The same trick on the payload changes the signed bytes: refused, cached or not.
    const payloadLast = alphabet.indexOf(p.at(-1)!);
    if (p.length % 4 !== 0) {
      const altered = `${h}.${p.slice(0, -1)}${alphabet[payloadLast ^ 1]!}.${s}`;
      assert.equal(await reasonOf(verifier.verify(altered)), 'signature_invalid');
    }
  });

  test('a forged signature on a cached header and payload is refused', async () => {
    const verifier = verifierFor();
    const valid = token(key);
    await verifier.verify(valid);
    const [h, p, s] = valid.split('.') as [string, string, string];
    const flipped = s[0] === 'A' ? 'B' : 'A';
    assert.equal(await reasonOf(verifier.verify(`${h}.${p}.${flipped}${s.slice(1)}`)), 'signature_invalid');
    assert.equal(await reasonOf(verifier.verify(`${h}.${p}.${s.slice(0, 43)}`)), 'signature_invalid');
  });

  test('an entry ends at the token exp, on the injected clock', async () => {
    const clock = new ManualClock(NOW_SECONDS * 1000);
    const verifier = verifierFor({ clockToleranceSeconds: 0 }, clock);
    const valid = token(key);
    await verifier.verify(valid);
    clock.advance(299 * SECOND);
    await verifier.verify(valid);
    clock.advance(SECOND);
    assert.equal(await reasonOf(verifier.verify(valid)), 'expired');
  });

  test('clearCache() forgets every verification', async () => {
    const keys = countingKeys();
    const verifier = verifierFor({ jwks: keys.source });
    await verifier.verify(token(key));
    verifier.clearCache();
    assert.equal(verifier.cacheSize, 0);
    await verifier.verify(token(key));
    assert.equal(keys.lookups, 2);
  });

  test('property: arbitrary input is refused with an InvalidTokenError, never another error', async () => {
    const verifier = verifierFor();
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);
    const jsonSegment = fc
      .jsonValue()
      .map((value) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url'));
    const candidate = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc.tuple(jsonSegment, jsonSegment, segment).map((parts) => parts.join('.')),
    );
    await fc.assert(
      fc.asyncProperty(candidate, async (input) => {
        const error = await verifier.verify(input).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(error instanceof InvalidTokenError, String(error));
      }),
      { numRuns: 500 },
    );
  });

  test('property: any single-character change to a token is refused or is the same token', async () => {
    const verifier = verifierFor();
    const valid = token(key);
    const original = await verifier.verify(valid);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valid.length - 1 }),
        fc.constantFrom(...alphabet),
        async (index, char) => {
          const mutated = valid.slice(0, index) + char + valid.slice(index + 1);
          const outcome = await verifier.verify(mutated).then(
            (verified) => verified,
            (error: unknown) => {
              assert.ok(error instanceof InvalidTokenError);
              return null;
            },
          );
          if (outcome !== null)
            assert.equal(outcome, original, 'only a spelling of the same signature passes');
        },
      ),
      { numRuns: 400 },
    );
  });
});
