import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Keyring } from '../../src/session/keyring.js';
import { createSessionManager, type SessionManager } from '../../src/session/manager.js';
import { parseToken } from '../../src/session/token.js';
import type { InvalidSessionReason } from '../../src/session/validate.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { SessionUser } from '../../src/stores/types.js';
import {
  anyChar,
  anyString,
  B64URL_ALPHABET,
  base64url,
  CountingStore,
  nearMissToken,
  params,
  T0,
  tokenShaped,
} from './support.js';
import { fuzzParameters } from '../helpers/fuzz.js';

const KEY_A = 'A'.repeat(16) + 'a'.repeat(16);
const KEY_B = Buffer.alloc(40, 0xb);
const MINUTE = 60_000;

interface World {
  manager: SessionManager<SessionUser>;
  store: CountingStore<SessionUser>;
  inner: MemoryStore;
  /** Tokens of live sessions, to the session id they must give. */
  live: Map<string, string>;
  /** Tokens this manager issued for sessions since revoked: genuine once, never valid now. */
  dead: Set<string>;
  setNow(t: number): void;
}

/** A manager over a counting memory store holding real sessions, some issued under the second key, some revoked. */
async function world(signed: boolean): Promise<World> {
  let now = T0;
  const clock = { now: () => now };
  const inner = new MemoryStore({ clock });
  const store = new CountingStore(inner);
  const keyOptions = signed ? { keys: [KEY_A, KEY_B] } : { signed: false };
  const manager = createSessionManager({ store, clock, origin: 'https://example.com', ...keyOptions });
  // Sessions signed before a key rotation: the second key still verifies them.
  const older = signed
    ? createSessionManager({ store, clock, origin: 'https://example.com', keys: [KEY_B] })
    : manager;
  const live = new Map<string, string>();
  const dead = new Set<string>();
  for (let i = 0; i < 16; i++) {
    const issuer = i % 4 === 3 ? older : manager;
    const { token, session } = await issuer.create(`user-${i % 5}`, { userAgent: 'test', ip: '127.0.0.1' });
    if (i % 8 === 5) {
      await manager.revoke(session.id);
      dead.add(token);
    } else {
      live.set(token, session.id);
    }
  }
  return { manager, store, inner, live, dead, setNow: (t) => (now = t) };
}

const signedWorld = await world(true);
const unsignedWorld = await world(false);
const allTokens = [
  ...signedWorld.live.keys(),
  ...signedWorld.dead,
  ...unsignedWorld.live.keys(),
  ...unsignedWorld.dead,
];

/** Anything a client could put in the cookie: garbage, token-shaped noise, and genuine tokens bent slightly. */
const candidate = fc.oneof(
  { weight: 2, arbitrary: anyString },
  { weight: 2, arbitrary: tokenShaped },
  { weight: 5, arbitrary: nearMissToken(allTokens) },
  { weight: 1, arbitrary: fc.constantFrom(...allTokens) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '.', '..', 'null', 'undefined', '=', ';', '%', '"') },
);

/** Validates `token` and checks what must hold for any input; returns the result and the calls it made. */
async function validateChecked(w: World, token: string) {
  const calls = { ...w.store.calls };
  const size = w.inner.size;
  const result = await w.manager.validate(token);
  const expectedId = w.live.get(token);
  if (expectedId === undefined) {
    assert.equal(result.valid, false, 'a token that is not genuine gave a session');
  } else {
    assert.ok(result.valid, 'a genuine token gave no session');
    assert.equal(result.session.id, expectedId);
    assert.equal(token.split('.')[0], expectedId);
  }
  assert.equal(w.inner.size, size, 'validation changed the number of stored sessions');
  assert.equal(w.store.calls.create, calls.create, 'validation created a record');
  assert.equal(w.store.calls.replace, calls.replace);
  assert.equal(w.store.calls.delete, calls.delete);
  return { result, gets: w.store.calls.get - calls.get };
}

const REFUSED_UNREAD: readonly InvalidSessionReason[] = ['missing', 'malformed', 'bad_signature'];

describe('parseToken (property)', () => {
  test('accepts exactly the token shape, and its parts rebuild the input', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, tokenShaped, nearMissToken(allTokens)), (value) => {
        const parts = parseToken(value);
        // Ids are 16 characters, or 18 with a store's 2-character tag (SessionStore.sessionIdTag); never 17.
        const shaped =
          /^([A-Za-z0-9_-]{16}|[A-Za-z0-9_-]{18})\.[A-Za-z0-9_-]{22}(\.[A-Za-z0-9_-]{22})?$/.test(value);
        assert.equal(parts !== null, shaped);
        if (parts === null) return;
        assert.equal(parts.payload, `${parts.id}.${parts.secret}`);
        assert.equal(parts.mac === null ? parts.payload : `${parts.payload}.${parts.mac}`, value);
      }),
      fuzzParameters('session-token (parseToken)'),
    );
  });
});

describe('Keyring.verify (property)', () => {
  const ring = new Keyring([KEY_A, KEY_B]);
  const single = [new Keyring([KEY_A]), new Keyring([KEY_B])];

  test('accepts exactly the MAC text of one of its keys', () => {
    const macCandidate = (payload: string) =>
      fc.oneof(
        fc.constantFrom(...single.map((k) => k.sign(payload))),
        fc
          .tuple(fc.constantFrom(...single.map((k) => k.sign(payload))), fc.nat(), anyChar)
          .map(([mac, at, c]) => {
            const i = at % mac.length;
            return mac.slice(0, i) + c + mac.slice(i + 1);
          }),
        // The same character with bits set above its low byte: equal to it in latin1.
        fc
          .tuple(
            fc.constantFrom(...single.map((k) => k.sign(payload))),
            fc.nat(),
            fc.integer({ min: 1, max: 0xff }),
          )
          .map(([mac, at, high]) => {
            const i = at % mac.length;
            return mac.slice(0, i) + String.fromCharCode(mac.charCodeAt(i) + high * 0x100) + mac.slice(i + 1);
          }),
        fc
          .tuple(fc.constantFrom(...single.map((k) => k.sign(payload))), fc.integer({ min: 1, max: 15 }))
          .map(([mac, spare]) => {
            const last = B64URL_ALPHABET.indexOf(mac.at(-1)!);
            return mac.slice(0, -1) + B64URL_ALPHABET[(last & 0b110000) | spare]!;
          }),
        base64url(22),
        anyString,
      );
    const payloadArb = fc.oneof(
      fc.tuple(base64url(16), base64url(22)).map(([id, secret]) => `${id}.${secret}`),
      anyString,
    );
    fc.assert(
      fc.property(
        payloadArb.chain((payload) => fc.tuple(fc.constant(payload), macCandidate(payload))),
        ([payload, mac]) => {
          const expected = single.some((k) => k.sign(payload) === mac);
          assert.equal(ring.verify(payload, mac), expected);
        },
      ),
      params(1000),
    );
  });
});

describe('signed manager: validate (property)', () => {
  test('never throws, and gives a session only for a genuine live token', async () => {
    await fc.assert(
      fc.asyncProperty(candidate, fc.integer({ min: 0, max: 3 * MINUTE }), async (token, offset) => {
        signedWorld.setNow(T0 + offset);
        await validateChecked(signedWorld, token);
      }),
      fuzzParameters('session-token (signed manager)'),
    );
  });

  test('forged and mutated tokens are refused before any store read', async () => {
    const genuine = [...signedWorld.live.keys(), ...signedWorld.dead];
    const forged = fc
      .oneof(
        { weight: 6, arbitrary: nearMissToken(genuine) },
        { weight: 1, arbitrary: nearMissToken(allTokens) },
        { weight: 1, arbitrary: tokenShaped },
        { weight: 1, arbitrary: anyString },
        { weight: 1, arbitrary: fc.constantFrom(...unsignedWorld.live.keys()) },
      )
      .filter((token) => !signedWorld.live.has(token) && !signedWorld.dead.has(token));
    await fc.assert(
      fc.asyncProperty(forged, async (token) => {
        const { result, gets } = await validateChecked(signedWorld, token);
        assert.equal(gets, 0, 'a forged token reached the store');
        assert.ok(!result.valid && REFUSED_UNREAD.includes(result.reason), `unexpected reason`);
      }),
      params(2500),
    );
  });

  test('revoked genuine tokens read the store once and find nothing', async () => {
    for (const token of signedWorld.dead) {
      const { result, gets } = await validateChecked(signedWorld, token);
      assert.equal(gets, 1);
      assert.deepEqual(result, { valid: false, reason: 'not_found' });
    }
  });
});

describe('unsigned manager: validate (property)', () => {
  test('never throws, and gives a session only for a genuine live token', async () => {
    const genuine = [...unsignedWorld.live.keys(), ...unsignedWorld.dead];
    const unsignedCandidate = fc.oneof(
      { weight: 5, arbitrary: nearMissToken(genuine) },
      { weight: 1, arbitrary: fc.constantFrom(...genuine) },
      { weight: 3, arbitrary: candidate },
    );
    let reachedStore = 0;
    await fc.assert(
      fc.asyncProperty(unsignedCandidate, fc.integer({ min: 0, max: 3 * MINUTE }), async (token, offset) => {
        unsignedWorld.setNow(T0 + offset);
        const { result, gets } = await validateChecked(unsignedWorld, token);
        if (gets > 0) reachedStore++;
        // Without a MAC only the shape is checked before the store; the secret then decides.
        if (!result.valid && !REFUSED_UNREAD.includes(result.reason)) {
          assert.ok(['not_found', 'secret_mismatch'].includes(result.reason), result.reason);
          assert.ok(gets > 0);
        }
        if (typeof parseToken(token)?.mac === 'string') {
          assert.equal(gets, 0, 'a signed token reached the store of an unsigned manager');
        }
      }),
      fuzzParameters('session-token (unsigned manager)'),
    );
    // The inputs must actually exercise the store path, or the property above proves little.
    assert.ok(reachedStore > 100, `only ${reachedStore} inputs reached the store`);
  });

  test('a mutated secret with the right id reads the store and is refused', async () => {
    const [token, id] = [...unsignedWorld.live.entries()][0]!;
    const secretPosition = fc.integer({ min: 17, max: 38 });
    await fc.assert(
      fc.asyncProperty(secretPosition, fc.constantFrom(...B64URL_ALPHABET), async (at, c) => {
        fc.pre(token[at] !== c);
        const mutated = token.slice(0, at) + c + token.slice(at + 1);
        const { result, gets } = await validateChecked(unsignedWorld, mutated);
        assert.equal(gets, 1);
        assert.deepEqual(result, { valid: false, reason: 'secret_mismatch' });
        assert.equal(mutated.split('.')[0], id);
      }),
      params(500),
    );
  });
});
