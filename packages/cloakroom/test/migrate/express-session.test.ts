// A legacy Express app on express-session + connect-redis (real Redis) signs a user in; the site switches to
// Cloakroom with the migration layer, and the same cookie jar stays signed in. The legacy session is read
// from connect-redis and destroyed there after the exchange.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { expressSessionSource } from '../../src/migrate/index.js';
import { listen, setCookieLine, setCookieValue } from '../helpers/http.js';
import { CookieJar, startMigratingSite, type MigratingSite } from './server.js';

declare module 'express-session' {
  interface SessionData {
    user: { email: string };
  }
}

const SECRETS = ['new-legacy-secret', 'old-legacy-secret'];

describe('migrate: legacy express-session on connect-redis', () => {
  const prefix = `migrate-test:${randomUUID()}:sess:`;
  let redis: ReturnType<typeof createClient>;
  let legacyStore: ConnectRedisStore;
  let legacy: { url: string; close: () => Promise<void> };
  let site: MigratingSite;

  before(async () => {
    redis = createClient({ url: 'redis://127.0.0.1:6379' });
    await redis.connect();
    legacyStore = new ConnectRedisStore({ client: redis, prefix });
    // The legacy app, as it ran before the switch; it signed with the old secret until the rotation.
    const app = express();
    app.use(
      session({
        store: legacyStore,
        secret: [SECRETS[1]!],
        resave: false,
        saveUninitialized: false,
        cookie: { maxAge: 3600_000 },
      }),
    );
    app.get('/sign-in/:email', (req, res) => {
      req.session.user = { email: req.params.email };
      res.send('signed in');
    });
    app.get('/me', (req, res) => {
      if (req.session.user === undefined) res.status(401).end();
      else res.json(req.session.user);
    });
    legacy = await listen(createServer(app));
    site = await startMigratingSite({
      sources: [expressSessionSource({ secrets: SECRETS, store: legacyStore, userField: 'user.email' })],
    });
  });

  after(async () => {
    await site.close();
    await legacy.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys);
    await redis.quit();
  });

  async function signInOnLegacy(email: string): Promise<CookieJar> {
    const jar = new CookieJar();
    assert.equal((await jar.fetch(`${legacy.url}/sign-in/${email}`)).status, 200);
    assert.equal((await jar.fetch(`${legacy.url}/me`)).status, 200);
    assert.ok(jar.cookies.get('connect.sid')?.startsWith('s%3A'));
    return jar;
  }

  test('the same jar is signed in on Cloakroom; the legacy session is destroyed; a copy is refused', async () => {
    const jar = await signInOnLegacy('ada@example.com');
    const legacyCookie = jar.cookies.get('connect.sid')!;
    const response = await jar.fetch(site.url);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { user: { email: string } }).user.email, 'ada@example.com');
    assert.ok(setCookieValue(response, 'cloakroom'));
    assert.match(setCookieLine(response, 'connect.sid') ?? '', /^connect\.sid=;.*Max-Age=0/i);
    assert.deepEqual([...jar.cookies.keys()], ['cloakroom']);
    assert.equal((await jar.fetch(site.url)).status, 200);
    assert.equal((await redis.keys(`${prefix}*`)).length, 0, 'destroyed in the legacy store');
    const copy = await fetch(site.url, { headers: { cookie: `connect.sid=${legacyCookie}` } });
    assert.equal(copy.status, 401);
    const counters = await site.migrationStore.counters();
    assert.equal(counters['exchanged.express-session'], 1);
    assert.equal(counters['refused.express-session.not_found'], 1);
  });

  test('tampered, unsigned, foreign-secret and unknown-user cookies are ignored and counted', async () => {
    const jar = await signInOnLegacy('nobody@example.com');
    const unknownUser = jar.cookies.get('connect.sid')!;
    const valid = (await signInOnLegacy('bob@example.com')).cookies.get('connect.sid')!;
    const raw = decodeURIComponent(valid);
    const tampered = encodeURIComponent(`${raw.slice(0, 5)}${raw[5] === 'A' ? 'B' : 'A'}${raw.slice(6)}`);
    const cases: [string, string][] = [
      ['bad_signature', tampered],
      ['malformed', encodeURIComponent(raw.slice(2))],
      ['bad_signature', encodeURIComponent(`s:${raw.slice(2, raw.lastIndexOf('.'))}.forged`)],
      ['unknown_user', unknownUser],
      ['malformed', '%E0%A4%A'],
    ];
    const before = await site.migrationStore.counters();
    for (const [reason, value] of cases) {
      const response = await fetch(site.url, { headers: { cookie: `connect.sid=${value}` } });
      assert.equal(response.status, 401, reason);
      assert.equal(response.headers.getSetCookie().length, 0, reason);
    }
    const counters = await site.migrationStore.counters();
    const delta = (key: string) => (counters[key] ?? 0) - (before[key] ?? 0);
    assert.equal(delta('refused.express-session.bad_signature'), 2);
    assert.equal(delta('refused.express-session.unknown_user'), 1);
    // An undecodable cookie value never reaches the source: nothing to count.
    assert.equal(delta('refused.express-session.malformed'), 1);
    // The valid one still works: refusals of its tampered copies did not use it up.
    assert.equal((await fetch(site.url, { headers: { cookie: `connect.sid=${valid}` } })).status, 200);
  });

  test('a legacy store that is down answers 503 and leaves the legacy cookie', async () => {
    const jar = await signInOnLegacy('ada@example.com');
    const down = await startMigratingSite({
      sources: [
        expressSessionSource({
          secrets: SECRETS,
          store: {
            get: (_sid, callback) => callback(new Error('connection refused')),
            destroy: (_sid, callback) => callback?.(),
          },
          userField: 'user.email',
        }),
      ],
    });
    try {
      const response = await fetch(down.url, { headers: { cookie: jar.header() } });
      assert.equal(response.status, 503);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'store_unavailable');
      assert.equal(response.headers.getSetCookie().length, 0);
    } finally {
      await down.close();
    }
    assert.equal((await jar.fetch(site.url)).status, 200, 'the credential was not lost');
  });
});
