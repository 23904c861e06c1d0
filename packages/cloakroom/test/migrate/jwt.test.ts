// Legacy JWT sessions (cookie and bearer) exchanged for Cloakroom sessions through the node:http adapter,
// over real HTTP. The legacy tokens are made with jose, as the legacy app made them.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { jwtSource, MemoryMigrationStore, type MigrationStore } from '../../src/migrate/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { SecurityEvent } from '../../src/events/index.js';
import { listen, setCookieLine, setCookieValue } from '../helpers/http.js';
import { CookieJar, startMigratingSite, USERS, type MigratingSite, type SiteUser } from './server.js';

const SECRET = 'legacy-jwt-secret-0123456789abcdef';
const ISSUER = 'https://legacy.example';
const HOUR = 3600;

function legacyJwt(
  claims: JWTPayload = {},
  options: { alg?: string; secret?: string; expiresIn?: number | null } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  // A nonce, so two tokens made in the same second differ (this one has no jti: its hash is remembered).
  const jwt = new SignJWT({
    email: 'ada@example.com',
    iss: ISSUER,
    aud: 'web',
    nonce: randomUUID(),
    ...claims,
  })
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setIssuedAt(now);
  if (options.expiresIn !== null) jwt.setExpirationTime(now + (options.expiresIn ?? HOUR));
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const hsSource = () =>
  jwtSource({
    cookie: 'token',
    bearer: true,
    algorithms: ['HS256'],
    secret: SECRET,
    issuer: ISSUER,
    audience: 'web',
    userClaim: 'email',
  });

describe('migrate: the exchange is a sign-in event', () => {
  test('sign_in.succeeded with method migration, the new session, and no legacy token in it', async () => {
    const events: SecurityEvent[] = [];
    const site = await startMigratingSite({
      sources: [hsSource()],
      onEvent: (event) => {
        events.push(event);
      },
    });
    try {
      const token = await legacyJwt();
      const response = await fetch(site.url, {
        headers: { cookie: `token=${token}`, 'user-agent': 'legacy/1' },
      });
      assert.equal(response.status, 200);
      const cookie = setCookieValue(response, 'cloakroom');
      assert.ok(cookie);
      assert.equal(events.length, 1);
      const [event] = events;
      assert.ok(event?.type === 'sign_in.succeeded');
      assert.deepEqual(
        [event.method, event.userId, event.userAgent],
        ['migration', USERS[0]?.id, 'legacy/1'],
      );
      assert.equal(event.sessionId, cookie.split('.')[0]);
      const text = JSON.stringify(events);
      for (const part of [...token.split('.'), ...cookie.split('.').slice(1)])
        assert.ok(!text.includes(part));
    } finally {
      await site.close();
    }
  });
});

describe('migrate: legacy JWT sessions', () => {
  let site: MigratingSite;
  let store: MemoryMigrationStore;

  before(async () => {
    store = new MemoryMigrationStore();
    site = await startMigratingSite({ sources: [hsSource()], migrationStore: store });
  });
  after(() => site.close());

  test('a JWT cookie is exchanged in the same response; the jar stays signed in; a copy is refused', async () => {
    const token = await legacyJwt();
    const jar = new CookieJar({ token });
    const first = await jar.fetch(site.url);
    assert.equal(first.status, 200);
    assert.deepEqual(((await first.json()) as { user: SiteUser }).user, USERS[0]);
    assert.ok(setCookieValue(first, 'cloakroom'), 'the Cloakroom cookie is set');
    const cleared = setCookieLine(first, 'token');
    assert.ok(cleared, 'the legacy cookie is expired');
    assert.match(cleared, /^token=;/);
    assert.match(cleared, /Max-Age=0/i);
    assert.match(cleared, /Path=\//);
    assert.deepEqual([...jar.cookies.keys()], ['cloakroom']);

    // The same browser goes on signed in on Cloakroom alone.
    const second = await jar.fetch(site.url);
    assert.equal(second.status, 200);
    assert.equal(second.headers.getSetCookie().length, 0);

    // A copy of the legacy JWT (the stolen one) is refused from now on, though it has not expired.
    const copy = await fetch(site.url, { headers: { cookie: `token=${token}` } });
    assert.equal(copy.status, 401);
    assert.equal(setCookieValue(copy, 'cloakroom'), undefined);
    const counters = await store.counters();
    assert.equal(counters['exchanged.jwt'], 1);
    assert.equal(counters['refused.jwt.replayed'], 1);
  });

  test('the new session ends no later than the legacy JWT', async () => {
    const token = await legacyJwt({}, { expiresIn: 600 });
    const response = await fetch(site.url, { headers: { cookie: `token=${token}` } });
    assert.equal(response.status, 200);
    const { expiresAt } = (await response.json()) as { expiresAt: number };
    assert.ok(expiresAt <= Date.now() + 600_000 + 1000, 'capped at the JWT exp');
    const maxAge = /Max-Age=(\d+)/i.exec(setCookieLine(response, 'cloakroom') ?? '')?.[1];
    assert.ok(Number(maxAge) <= 600);
  });

  test('a bearer JWT is exchanged, and its copy refused', async () => {
    const token = await legacyJwt({ email: 'bob@example.com' });
    const first = await fetch(site.url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(first.status, 200);
    assert.equal(((await first.json()) as { user: SiteUser }).user.email, 'bob@example.com');
    assert.ok(setCookieValue(first, 'cloakroom'));
    assert.equal(setCookieLine(first, 'token'), undefined, 'no legacy cookie to clear');
    const again = await fetch(site.url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(again.status, 401);
  });

  test('each bad credential is ignored as if absent, and counted by reason', async () => {
    const before = await store.counters();
    const good = await legacyJwt();
    const [header = '', payload = '', signature = ''] = good.split('.');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    const cases: [string, string][] = [
      ['expired', await legacyJwt({}, { expiresIn: -60 })],
      [
        'bad_signature',
        `${header}.${Buffer.from('{"email":"bob@example.com","exp":9999999999,"iss":"https://legacy.example","aud":"web"}').toString('base64url')}.${signature}`,
      ],
      ['bad_signature', await legacyJwt({}, { secret: 'another-secret-0123456789abcdefgh' })],
      ['algorithm', unsigned],
      ['algorithm', await legacyJwt({}, { alg: 'HS512' })],
      ['claims', await legacyJwt({ iss: 'https://evil.example' })],
      ['claims', await legacyJwt({ aud: 'admin' })],
      ['claims', await legacyJwt({}, { expiresIn: null })],
      ['claims', await legacyJwt({ email: 42 })],
      ['unknown_user', await legacyJwt({ email: 'nobody@example.com' })],
      ['malformed', 'not.a.jwt'],
    ];
    const expected: Record<string, number> = {};
    for (const [reason, token] of cases) {
      const variants: Record<string, string>[] = [
        { cookie: `token=${token}` },
        { authorization: `Bearer ${token}` },
      ];
      for (const headers of variants) {
        const response = await fetch(site.url, { headers });
        assert.equal(response.status, 401, `${reason} is refused`);
        assert.equal(setCookieValue(response, 'cloakroom'), undefined, `${reason} gives no session`);
        assert.equal(setCookieLine(response, 'token'), undefined, `${reason} leaves the legacy cookie alone`);
      }
      expected[reason] = (expected[reason] ?? 0) + 2;
    }
    const counters = await store.counters();
    for (const [reason, count] of Object.entries(expected)) {
      const key = `refused.jwt.${reason}`;
      assert.equal((counters[key] ?? 0) - (before[key] ?? 0), count, key);
    }
    assert.equal(counters['exchanged.jwt'], before['exchanged.jwt']);
  });

  test('a request with a valid Cloakroom cookie never looks at the legacy credential', async () => {
    const jar = new CookieJar({ token: await legacyJwt() });
    await jar.fetch(site.url);
    const spare = await legacyJwt({ email: 'bob@example.com' });
    const before = await store.counters();
    const response = await fetch(site.url, {
      headers: { cookie: `${jar.header()}; token=${spare}`, authorization: `Bearer ${spare}` },
    });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { user: SiteUser }).user.email, 'ada@example.com');
    assert.equal(response.headers.getSetCookie().length, 0);
    assert.deepEqual(await store.counters(), before);
  });

  test('an unsafe cross-site request carrying a legacy cookie is refused (403), not exchanged', async () => {
    const token = await legacyJwt();
    const response = await fetch(site.url, {
      method: 'POST',
      headers: { cookie: `token=${token}`, origin: 'https://evil.example' },
    });
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'csrf_rejected');
    const ok = await fetch(site.url, { headers: { cookie: `token=${token}` } });
    assert.equal(ok.status, 200, 'the credential was not used up');
  });

  test('after acceptUntil, legacy credentials are ignored and counted', async () => {
    const past = await startMigratingSite({
      sources: [hsSource()],
      acceptUntil: Date.now() - 1000,
    });
    try {
      const response = await fetch(past.url, { headers: { cookie: `token=${await legacyJwt()}` } });
      assert.equal(response.status, 401);
      assert.equal(setCookieValue(response, 'cloakroom'), undefined);
      assert.equal((await past.migrationStore.counters())['refused.jwt.after_cutoff'], 1);
    } finally {
      await past.close();
    }
  });
});

describe('migrate: a store failure mid-exchange', () => {
  class FailingClaims extends MemoryMigrationStore {
    failing = true;
    override claim(key: string, expiresAt: number, now: number): Promise<boolean> {
      return this.failing ? Promise.reject(new Error('store down')) : super.claim(key, expiresAt, now);
    }
  }

  test('503 store_unavailable, the legacy cookie stays, and the exchange works once the store is back', async () => {
    const store = new FailingClaims();
    const sessions = new MemoryStore<SiteUser>({ loadUser: (id) => USERS.find((u) => u.id === id) ?? null });
    const site = await startMigratingSite({
      sources: [hsSource()],
      migrationStore: store,
      sessionStore: sessions,
    });
    try {
      const token = await legacyJwt();
      const down = await fetch(site.url, { headers: { cookie: `token=${token}` } });
      assert.equal(down.status, 503);
      assert.equal(((await down.json()) as { error: { code: string } }).error.code, 'store_unavailable');
      assert.equal(down.headers.getSetCookie().length, 0, 'neither cookie is touched');
      assert.equal(
        (await site.manager.listUserSessions('u-ada')).length,
        0,
        'the session made first was ended',
      );
      store.failing = false;
      const back = await fetch(site.url, { headers: { cookie: `token=${token}` } });
      assert.equal(back.status, 200);
      assert.ok(setCookieValue(back, 'cloakroom'));
    } finally {
      await site.close();
    }
  });

  test('a session store that fails on create answers 503 and leaves the legacy cookie', async () => {
    const sessions = new MemoryStore<SiteUser>({ loadUser: (id) => USERS.find((u) => u.id === id) ?? null });
    sessions.create = () => Promise.reject(new Error('store down'));
    const store: MigrationStore = new MemoryMigrationStore();
    const site = await startMigratingSite({
      sources: [hsSource()],
      migrationStore: store,
      sessionStore: sessions,
    });
    try {
      const response = await fetch(site.url, { headers: { cookie: `token=${await legacyJwt()}` } });
      assert.equal(response.status, 503);
      assert.equal(response.headers.getSetCookie().length, 0);
      assert.equal((await store.counters())['exchanged.jwt'], undefined);
    } finally {
      await site.close();
    }
  });
});

describe('migrate: JWTs signed with public keys', () => {
  test('RS256 and EdDSA with a PEM key, ES256 with a JWKS URL', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ed = generateKeyPairSync('ed25519');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...(await exportJWK(ec.publicKey)), kid: 'k1', alg: 'ES256' };
    const jwks = await listen(
      createServer((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [jwk] }));
      }),
    );
    const pem = (key: typeof rsa.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString();
    const site = await startMigratingSite({
      sources: [
        jwtSource({
          name: 'rsa',
          cookie: 'rsa',
          algorithms: ['RS256', 'PS256'],
          publicKeyPem: pem(rsa.publicKey),
          userClaim: 'email',
        }),
        jwtSource({
          name: 'ed',
          cookie: 'ed',
          algorithms: ['EdDSA'],
          publicKeyPem: pem(ed.publicKey),
          userClaim: 'email',
        }),
        jwtSource({
          name: 'ec',
          cookie: 'ec',
          algorithms: ['ES256'],
          jwksUrl: `${jwks.url}/jwks.json`,
          userClaim: 'email',
        }),
      ],
    });
    try {
      const exp = Math.floor(Date.now() / 1000) + HOUR;
      const sign = (alg: string, key: Parameters<SignJWT['sign']>[0], kid?: string) =>
        new SignJWT({ email: 'ada@example.com', exp })
          .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
          .sign(key);
      for (const [cookie, token] of [
        ['rsa', await sign('RS256', rsa.privateKey)],
        ['rsa', await sign('PS256', rsa.privateKey)],
        ['ed', await sign('EdDSA', ed.privateKey)],
        ['ec', await sign('ES256', ec.privateKey, 'k1')],
      ] as const) {
        const response = await fetch(site.url, { headers: { cookie: `${cookie}=${token}` } });
        assert.equal(response.status, 200, `${cookie}`);
        assert.ok(setCookieValue(response, 'cloakroom'));
      }
      // An HMAC token made with the RSA public key as its secret (algorithm confusion) is refused.
      const confused = await new SignJWT({ email: 'ada@example.com', exp })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(pem(rsa.publicKey)));
      const refused = await fetch(site.url, { headers: { cookie: `rsa=${confused}` } });
      assert.equal(refused.status, 401);
      assert.equal((await site.migrationStore.counters())['refused.rsa.algorithm'], 1);
    } finally {
      await site.close();
      await jwks.close();
    }
  });

  test('bad options are refused at construction', () => {
    assert.throws(() => jwtSource({ cookie: 'x', algorithms: ['HS256'], publicKeyPem: 'x' }), TypeError);
    assert.throws(
      () => jwtSource({ cookie: 'x', algorithms: ['none' as 'HS256'], secret: SECRET }),
      TypeError,
    );
    assert.throws(() => jwtSource({ cookie: 'x', algorithms: ['RS256'], secret: SECRET }), TypeError);
    assert.throws(() => jwtSource({ algorithms: ['HS256'], secret: SECRET }), TypeError);
    assert.throws(() => jwtSource({ cookie: 'x', algorithms: ['HS256'], secret: 'short' }), TypeError);
  });
});
