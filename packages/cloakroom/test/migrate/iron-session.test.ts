// Legacy iron-session cookies, sealed by iron-session itself (v8 seals, and a v6/v7-style seal without the
// version suffix), with a password map rotated since: exchanged, then refused as copies.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sealData } from 'iron-session';
import { defaults, seal } from 'iron-webcrypto';
import { ironSessionSource } from '../../src/migrate/index.js';
import { setCookieLine, setCookieValue } from '../helpers/http.js';
import { CookieJar, startMigratingSite, type MigratingSite } from './server.js';

const OLD = 'old-password-0123456789abcdefghijklmnop';
const NEW = 'new-password-0123456789abcdefghijklmnop';

describe('migrate: legacy iron-session cookies', () => {
  let site: MigratingSite;

  before(async () => {
    site = await startMigratingSite({
      sources: [
        ironSessionSource({ cookie: 'app_session', passwords: { 2: NEW, 1: OLD }, userField: 'email' }),
      ],
    });
  });
  after(() => site.close());

  test('seals made with either password of the map are exchanged; the copy is refused', async () => {
    const passwords: Record<string, string>[] = [{ 1: OLD }, { 2: NEW, 1: OLD }];
    for (const password of passwords) {
      const sealed = await sealData({ email: 'ada@example.com' }, { password, ttl: 3600 });
      const jar = new CookieJar({ app_session: encodeURIComponent(sealed) });
      const response = await jar.fetch(site.url);
      assert.equal(response.status, 200);
      assert.ok(setCookieValue(response, 'cloakroom'));
      assert.match(setCookieLine(response, 'app_session') ?? '', /^app_session=;.*Max-Age=0/i);
      const { expiresAt } = (await response.json()) as { expiresAt: number };
      assert.ok(expiresAt <= Date.now() + 3600_000, 'no later than the seal');
      assert.equal((await jar.fetch(site.url)).status, 200);
      const copy = await fetch(site.url, { headers: { cookie: `app_session=${sealed}` } });
      assert.equal(copy.status, 401);
    }
    const counters = await site.migrationStore.counters();
    assert.equal(counters['exchanged.iron-session'], 2);
    assert.equal(counters['refused.iron-session.replayed'], 2);
  });

  test('a v6/v7 seal (data under persistent, no version suffix) is exchanged', async () => {
    const sealed = await seal(
      webcrypto,
      { persistent: { email: 'bob@example.com' } },
      { id: '1', secret: OLD },
      { ...defaults, ttl: 3600_000 },
    );
    const response = await fetch(site.url, { headers: { cookie: `app_session=${sealed}` } });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { user: { email: string } }).user.email, 'bob@example.com');
  });

  test('expired, tampered, unknown-password and unknown-user seals are ignored and counted', async () => {
    const before = await site.migrationStore.counters();
    const good = await sealData({ email: 'ada@example.com' }, { password: { 2: NEW }, ttl: 3600 });
    const parts = good.split('*');
    parts[4] = `${parts[4]![0] === 'A' ? 'B' : 'A'}${parts[4]!.slice(1)}`;
    const expired = await seal(
      webcrypto,
      { email: 'ada@example.com' },
      { id: '2', secret: NEW },
      { ...defaults, ttl: 1, localtimeOffsetMsec: -3600_000 },
    );
    const cases: [string, string][] = [
      ['bad_signature', parts.join('*')],
      ['bad_signature', await sealData({ email: 'ada@example.com' }, { password: { 3: 'x'.repeat(40) } })],
      ['expired', `${expired}~2`],
      ['unknown_user', await sealData({ email: 'eve@example.com' }, { password: { 2: NEW } })],
      ['claims', await sealData({ name: 'no email' }, { password: { 2: NEW } })],
      ['malformed', 'Fe26.2*garbage'],
    ];
    for (const [reason, value] of cases) {
      const response = await fetch(site.url, {
        headers: { cookie: `app_session=${encodeURIComponent(value)}` },
      });
      assert.equal(response.status, 401, reason);
      assert.equal(response.headers.getSetCookie().length, 0, reason);
    }
    const counters = await site.migrationStore.counters();
    const delta = (key: string) => (counters[key] ?? 0) - (before[key] ?? 0);
    assert.equal(delta('refused.iron-session.bad_signature'), 2);
    assert.equal(delta('refused.iron-session.expired'), 1);
    assert.equal(delta('refused.iron-session.unknown_user'), 1);
    assert.equal(delta('refused.iron-session.claims'), 1);
    assert.equal(delta('refused.iron-session.malformed'), 1);
    assert.equal(counters['exchanged.iron-session'], before['exchanged.iron-session']);
  });

  test('passwords shorter than 32 characters are refused at construction', () => {
    assert.throws(
      () => ironSessionSource({ cookie: 'a', passwords: 'short', userField: 'email' }),
      TypeError,
    );
  });
});
