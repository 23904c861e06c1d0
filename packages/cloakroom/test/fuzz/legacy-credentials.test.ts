// Fuzzing the legacy-credential parsers of `cloakroom/migrate` (review finding 8): Cookie and Authorization
// headers carrying tampered, truncated, re-spelt and random JWTs, iron-session seals and express-session
// cookies go through the session layer's request loading with the migration on. Failures: an exception, a
// case past the time limit, a session for anyone but the genuine credential's user, and a credential
// exchanged twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sign } from 'cookie-signature';
import { sealData } from 'iron-session';
import { SignJWT } from 'jose';
import {
  createMigration,
  expressSessionSource,
  ironSessionSource,
  jwtSource,
  MemoryMigrationStore,
  readBearer,
  readLegacyCookie,
} from '../../src/migrate/index.js';
import { loadRequestSession, SessionManager } from '../../src/session/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { bounded, fuzzParameters, fuzzTestTimeout } from '../helpers/fuzz.js';
import { anyString, cookieHeader, nearMissToken } from '../property/support.js';

const USERS = new Map([
  ['ada@example.com', 'u-ada'],
  ['bob@example.com', 'u-bob'],
  ['carol@example.com', 'u-carol'],
]);
const JWT_SECRET = 'fuzz-legacy-jwt-secret-0123456789';
const IRON_PASSWORD = 'fuzz-iron-password-0123456789abcdefghij';
const EXPRESS_SECRET = 'fuzz-express-secret';
const SID = 'Q1w2E3r4T5y6U7i8O9p0-AbCdEfGhIjK';

test(
  'legacy credentials: never a throw, never a session but the genuine one, never twice',
  { timeout: fuzzTestTimeout(40) },
  async () => {
    const jwt = await new SignJWT({ email: 'ada@example.com', jti: 'fuzz-jti-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JWT_SECRET));
    const seal = await sealData({ email: 'bob@example.com' }, { password: { 1: IRON_PASSWORD } });
    const sid = `s:${sign(SID, EXPRESS_SECRET)}`;
    const legacySessions = new Map<string, unknown>([
      [
        SID,
        {
          cookie: { expires: new Date(Date.now() + 3600_000).toISOString() },
          user: { email: 'carol@example.com' },
        },
      ],
    ]);
    const store = new MemoryMigrationStore();
    const migration = createMigration<{ id: string }>({
      sources: [
        jwtSource({
          cookie: 'token',
          bearer: true,
          algorithms: ['HS256'],
          secret: JWT_SECRET,
          userClaim: 'email',
        }),
        ironSessionSource({ cookie: 'app_session', passwords: { 1: IRON_PASSWORD }, userField: 'email' }),
        expressSessionSource({
          secrets: [EXPRESS_SECRET],
          userField: 'user.email',
          store: {
            get: (id, callback) => {
              callback(null, legacySessions.get(id) ?? null);
            },
            destroy: (id, callback) => {
              legacySessions.delete(id);
              callback?.();
            },
          },
        }),
      ],
      store,
      findUser: ({ subject }) => {
        const id = USERS.get(subject);
        return Promise.resolve(id === undefined ? null : { userId: id, user: { id } });
      },
    });
    const manager = new SessionManager<{ id: string }>({
      store: new MemoryStore(),
      origin: 'http://localhost:3000',
      keys: ['fuzz-session-key-0123456789abcdef0123456789'],
      migration,
    });
    const value = (genuine: string) =>
      fc.oneof(
        { weight: 4, arbitrary: nearMissToken([genuine]) },
        { weight: 1, arbitrary: fc.constant(genuine) },
        { weight: 1, arbitrary: fc.constant(encodeURIComponent(genuine)) },
        // Truncated anywhere.
        { weight: 2, arbitrary: fc.nat().map((at) => genuine.slice(0, at % genuine.length)) },
        { weight: 1, arbitrary: anyString },
      );
    const cookie = fc.oneof(
      cookieHeader('token', value(jwt)),
      cookieHeader('app_session', value(seal)),
      cookieHeader('connect.sid', value(sid)),
      fc
        .tuple(value(jwt), value(seal), value(sid))
        .map(([a, b, c]) => `token=${a}; app_session=${b}; connect.sid=${c}`),
      anyString,
      fc.constant(null),
    );
    const authorization = fc.oneof(
      value(jwt).map((token) => `Bearer ${token}`),
      anyString,
      fc.constant(null),
    );

    const granted = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(cookie, authorization, async (cookieValue, authorizationValue) => {
        bounded(() => {
          readLegacyCookie(cookieValue, 'token');
          readBearer(authorizationValue);
        });
        const request = await loadRequestSession(
          manager,
          {
            method: 'GET',
            cookie: cookieValue,
            origin: null,
            secFetchSite: null,
            userAgent: null,
            ip: null,
            authorization: authorizationValue,
          },
          () => undefined,
        );
        if (request.session !== null) {
          const user = request.session.userId;
          assert.ok(['u-ada', 'u-bob', 'u-carol'].includes(user), `a session for ${user}`);
          granted.set(user, (granted.get(user) ?? 0) + 1);
          assert.equal(granted.get(user), 1, `the credential of ${user} was exchanged twice`);
        }
      }),
      fuzzParameters('legacy-credentials'),
    );
    const counters = await store.counters();
    console.log(`legacy-credentials: ${JSON.stringify(counters)}`);
    // The generators reached the genuine credentials (each exchanged exactly once) and the refusals.
    assert.deepEqual([...granted.keys()].sort(), ['u-ada', 'u-bob', 'u-carol']);
    for (const source of ['jwt', 'iron-session', 'express-session']) {
      assert.equal(counters[`exchanged.${source}`], 1, source);
      assert.ok(
        (counters[`refused.${source}.replayed`] ?? 0) + (counters[`refused.${source}.not_found`] ?? 0) > 0,
      );
    }
    assert.ok((counters['refused.jwt.bad_signature'] ?? 0) > 0);
    assert.ok((counters['refused.iron-session.bad_signature'] ?? 0) > 0);
    assert.ok((counters['refused.express-session.bad_signature'] ?? 0) > 0);
  },
);
