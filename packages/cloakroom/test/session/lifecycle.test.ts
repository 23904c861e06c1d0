import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSessionManager, MemoryStore, type SessionStore } from '../../src/index.js';
import { DAY, HOUR, ManualClock, MINUTE, SECOND } from '../helpers/clock.js';

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(32);

/** A memory store that counts the calls the session layer makes. */
function countingStore(clock: ManualClock) {
  const inner = new MemoryStore({ clock });
  const calls = { get: 0, create: 0, touch: 0, replace: 0, delete: 0 };
  const store: SessionStore = {
    index: inner.index,
    get: (id) => (calls.get++, inner.get(id)),
    create: (s) => (calls.create++, inner.create(s)),
    touch: (id, t) => (calls.touch++, inner.touch(id, t)),
    replace: (id, v, n) => (calls.replace++, inner.replace(id, v, n)),
    delete: (id) => (calls.delete++, inner.delete(id)),
  };
  return { store, inner, calls };
}

function setup(options: { keys?: string[]; idle?: number; absolute?: number; touch?: number } = {}) {
  const clock = new ManualClock();
  const { store, inner, calls } = countingStore(clock);
  const sessions = createSessionManager({
    store,
    clock,
    origin: 'https://example.com',
    keys: options.keys ?? [KEY_A],
    idleTimeoutSeconds: options.idle,
    absoluteTimeoutSeconds: options.absolute,
    touchIntervalSeconds: options.touch,
  });
  return { clock, store, inner, calls, sessions };
}

describe('creating a session', () => {
  test('issues a fresh 62-byte signed token and a hardened cookie', async () => {
    const { sessions } = setup();
    const issued = await sessions.create('user-1', { userAgent: 'Firefox', ip: '203.0.113.9' });
    assert.equal(issued.token.length, 62);
    assert.match(issued.token, /^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    assert.equal(issued.session.id, issued.token.slice(0, 16));
    assert.match(issued.setCookie, /^__Host-cloakroom=/);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/', 'Max-Age=2592000']) {
      assert.ok(issued.setCookie.includes(attribute), `${attribute} in ${issued.setCookie}`);
    }
    const other = await sessions.create('user-1');
    assert.notEqual(other.token, issued.token);
    assert.notEqual(other.session.id, issued.session.id);
  });

  test('the store keeps the hash of the secret, never the secret', async () => {
    const { sessions, inner } = setup();
    const issued = await sessions.create('user-1');
    const stored = await inner.get(issued.session.id);
    assert.ok(stored);
    const secret = issued.token.split('.')[1]!;
    assert.equal(JSON.stringify(stored.session).includes(secret), false);
    assert.equal(Buffer.from(stored.session.secretHash).length, 32);
  });

  test('defaults: idle 7 days, absolute 30 days', async () => {
    const { sessions, clock } = setup();
    const { session } = await sessions.create('user-1');
    assert.equal(session.expiresAt - clock.now(), 7 * DAY);
    assert.equal(session.absoluteExpiresAt - clock.now(), 30 * DAY);
  });

  test('rejects a bad user id as misuse', async () => {
    const { sessions } = setup();
    await assert.rejects(sessions.create(''), TypeError);
    await assert.rejects(sessions.create('x'.repeat(256)), TypeError);
  });

  test('bounds stored metadata', async () => {
    const { sessions } = setup();
    const { session } = await sessions.create('user-1', { userAgent: 'u'.repeat(10_000), ip: '' });
    assert.equal(session.userAgent?.length, 512);
    assert.equal(session.ip, null);
  });
});

describe('validating a session', () => {
  test('returns the session and its user in one store read', async () => {
    const { sessions, calls } = setup();
    const { token, session } = await sessions.create('user-1');
    calls.get = 0;
    const result = await sessions.validate(token);
    assert.deepEqual(result, { valid: true, session, user: { id: 'user-1' } });
    assert.equal(calls.get, 1);
  });

  test('refuses a tampered cookie before any store read, and creates nothing', async () => {
    const { sessions, calls, inner } = setup();
    const { token } = await sessions.create('user-1');
    const size = inner.size;
    calls.get = 0;
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      const replacement = token[i] === 'A' ? 'B' : 'A';
      const tampered = token.slice(0, i) + replacement + token.slice(i + 1);
      const result = await sessions.validate(tampered);
      assert.deepEqual(result, { valid: false, reason: 'bad_signature' }, `position ${i}`);
    }
    assert.equal(calls.get, 0);
    assert.equal(inner.size, size);
  });

  test('refuses an unknown well-formed id without creating a record (unsigned mode reaches the store)', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const sessions = createSessionManager({ store, clock, origin: 'https://example.com', signed: false });
    const { token } = await sessions.create('user-1');
    const unknown = 'AAAAAAAAAAAAAAAA' + token.slice(16);
    assert.deepEqual(await sessions.validate(unknown), { valid: false, reason: 'not_found' });
    assert.equal(store.size, 1);
    const wrongSecret = token.slice(0, 17) + (token[17] === 'A' ? 'B' : 'A') + token.slice(18);
    assert.deepEqual(await sessions.validate(wrongSecret), { valid: false, reason: 'secret_mismatch' });
    assert.equal((await sessions.validate(token)).valid, true);
  });

  test('an unsigned manager refuses signed tokens and vice versa', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const signed = createSessionManager({ store, clock, origin: 'https://example.com', keys: [KEY_A] });
    const unsigned = createSessionManager({ store, clock, origin: 'https://example.com', signed: false });
    const a = await signed.create('user-1');
    const b = await unsigned.create('user-1');
    assert.deepEqual(await unsigned.validate(a.token), { valid: false, reason: 'malformed' });
    assert.deepEqual(await signed.validate(b.token), { valid: false, reason: 'bad_signature' });
  });

  test('names the reason for missing and malformed tokens', async () => {
    const { sessions } = setup();
    assert.deepEqual(await sessions.validate(null), { valid: false, reason: 'missing' });
    assert.deepEqual(await sessions.validate(''), { valid: false, reason: 'missing' });
    assert.deepEqual(await sessions.validate('abc123'), { valid: false, reason: 'malformed' });
  });

  test('a session whose user is gone is refused', async () => {
    const clock = new ManualClock();
    const users = new Map([['user-1', { id: 'user-1', email: 'a@example.com' }]]);
    const store = new MemoryStore({ clock, loadUser: (id) => users.get(id) ?? null });
    const sessions = createSessionManager({ store, clock, origin: 'https://example.com', keys: [KEY_A] });
    const { token } = await sessions.create('user-1');
    const result = await sessions.validate(token);
    assert.equal(result.valid && result.user.email, 'a@example.com');
    users.delete('user-1');
    assert.deepEqual(await sessions.validate(token), { valid: false, reason: 'user_not_found' });
  });
});

describe('key rotation', () => {
  test('cookies signed by an older key stay valid until that key is dropped', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const make = (keys: string[]) =>
      createSessionManager({ store, clock, origin: 'https://example.com', keys });
    const before = await make([KEY_A]).create('user-1');

    const rotated = make([KEY_B, KEY_A]);
    assert.equal((await rotated.validate(before.token)).valid, true, 'old-key cookie still valid');
    const after = await rotated.create('user-2');
    assert.equal(
      after.token.split('.')[2] !== make([KEY_A]).config.keyring?.sign(after.token.slice(0, 39)),
      true,
    );

    const dropped = make([KEY_B]);
    assert.deepEqual(await dropped.validate(before.token), { valid: false, reason: 'bad_signature' });
    assert.equal((await dropped.validate(after.token)).valid, true);
  });
});

describe('expiry', () => {
  test('idle expiry slides with use, but only with writes throttled to the touch interval', async () => {
    const { sessions, clock, calls } = setup({ idle: 30 * 60, touch: 60 });
    const { token } = await sessions.create('user-1');
    calls.touch = 0;
    for (let i = 0; i < 100; i++) {
      clock.advance(500); // 100 requests in 50 s: no write yet
      assert.equal((await sessions.validate(token)).valid, true);
    }
    assert.equal(calls.touch, 0);
    clock.advance(10 * SECOND); // now 60 s since creation
    const renewed = await sessions.validate(token);
    assert.equal(calls.touch, 1);
    assert.ok(renewed.valid);
    assert.equal(renewed.session.lastSeenAt, clock.now());
    assert.equal(renewed.session.expiresAt, clock.now() + 30 * MINUTE);
    // Used every 20 minutes, the session lives on past the first idle window.
    for (let i = 0; i < 6; i++) {
      clock.advance(20 * MINUTE);
      assert.equal((await sessions.validate(token)).valid, true, `use ${i}`);
    }
  });

  test('an idle session expires exactly at its idle deadline', async () => {
    const { sessions, clock } = setup({ idle: HOUR / SECOND });
    const { token } = await sessions.create('user-1');
    clock.advance(HOUR - 1);
    const result = await sessions.validate(token);
    assert.equal(result.valid, true);
    clock.advance(HOUR); // the touch above moved the deadline to one hour after it
    assert.deepEqual(await sessions.validate(token), { valid: false, reason: 'idle_expired' });
  });

  test('sliding never extends past the absolute lifetime', async () => {
    const { sessions, clock } = setup({ idle: HOUR / SECOND, absolute: (3 * HOUR) / SECOND });
    const { token, session } = await sessions.create('user-1');
    for (let i = 0; i < 5; i++) {
      clock.advance(30 * MINUTE);
      const result = await sessions.validate(token);
      assert.ok(result.valid);
      assert.ok(result.session.expiresAt <= session.absoluteExpiresAt);
    }
    clock.advance(30 * MINUTE); // 3 h after sign-in
    assert.deepEqual(await sessions.validate(token), { valid: false, reason: 'expired' });
  });

  test('options are checked', () => {
    const store = new MemoryStore();
    const base = { store, origin: 'https://example.com', keys: [KEY_A] };
    assert.throws(() => createSessionManager({ ...base, idleTimeoutSeconds: 0 }), TypeError);
    assert.throws(
      () => createSessionManager({ ...base, idleTimeoutSeconds: 100, absoluteTimeoutSeconds: 50 }),
      TypeError,
    );
    assert.throws(
      () => createSessionManager({ ...base, idleTimeoutSeconds: 100, touchIntervalSeconds: 60 }),
      TypeError,
    );
    assert.throws(() => createSessionManager({ ...base, keys: [] }), TypeError);
    assert.throws(() => createSessionManager({ ...base, keys: ['short'] }), TypeError);
    assert.throws(() => createSessionManager({ ...base, signed: false }), TypeError);
    assert.throws(() => createSessionManager({ ...base, origin: 'http://example.com' }), TypeError);
    assert.throws(() => createSessionManager({ ...base, origin: 'https://example.com/path' }), TypeError);
    assert.throws(() => createSessionManager({ store, origin: 'https://example.com' }), TypeError);
  });
});

describe('rotation', () => {
  test('gives a new token, ends the old one, and keeps creation time and absolute expiry', async () => {
    const { sessions, clock } = setup();
    const first = await sessions.create('user-1', { userAgent: 'Firefox' });
    clock.advance(HOUR);
    const rotated = await sessions.rotate(first.session);
    assert.ok(rotated);
    assert.notEqual(rotated.session.id, first.session.id);
    assert.equal(rotated.session.createdAt, first.session.createdAt);
    assert.equal(rotated.session.absoluteExpiresAt, first.session.absoluteExpiresAt);
    assert.equal(rotated.session.userAgent, 'Firefox');
    assert.deepEqual(await sessions.validate(first.token), { valid: false, reason: 'not_found' });
    assert.equal((await sessions.validate(rotated.token)).valid, true);
  });

  test('cannot revive a revoked session', async () => {
    const { sessions } = setup();
    const { session } = await sessions.create('user-1');
    await sessions.revoke(session.id);
    assert.equal(await sessions.rotate(session), null);
    assert.deepEqual(await sessions.listUserSessions('user-1'), []);
  });
});

describe('revocation', () => {
  test('a revoked session is refused on replay', async () => {
    const { sessions } = setup();
    const { token, session } = await sessions.create('user-1');
    await sessions.revoke(session.id);
    assert.deepEqual(await sessions.validate(token), { valid: false, reason: 'not_found' });
  });

  test('a touch racing a revocation never brings the session back', async () => {
    const clock = new ManualClock();
    const inner = new MemoryStore({ clock });
    let revokeDuringTouch: (() => Promise<void>) | null = null;
    const store: SessionStore = {
      index: inner.index,
      get: (id) => inner.get(id),
      create: (s) => inner.create(s),
      replace: (id, v, n) => inner.replace(id, v, n),
      delete: (id) => inner.delete(id),
      // The revocation lands between the read and the touch of a concurrent request.
      touch: async (id, t) => {
        await revokeDuringTouch?.();
        return inner.touch(id, t);
      },
    };
    const sessions = createSessionManager({ store, clock, origin: 'https://example.com', keys: [KEY_A] });
    const { token, session } = await sessions.create('user-1');
    clock.advance(2 * MINUTE);
    revokeDuringTouch = () => sessions.revoke(session.id);
    assert.deepEqual(await sessions.validate(token), { valid: false, reason: 'not_found' });
    revokeDuringTouch = null;
    assert.equal(await inner.get(session.id), null);
    assert.deepEqual(await sessions.validate(token), { valid: false, reason: 'not_found' });
  });

  test("revokes all of a user's sessions, or all but the current one", async () => {
    const { sessions } = setup();
    const a = await sessions.create('user-1');
    const b = await sessions.create('user-1');
    const c = await sessions.create('user-1');
    const other = await sessions.create('user-2');
    assert.equal(await sessions.revokeUserSessions('user-1', { except: b.session.id }), 2);
    assert.equal((await sessions.validate(a.token)).valid, false);
    assert.equal((await sessions.validate(b.token)).valid, true);
    assert.equal((await sessions.validate(c.token)).valid, false);
    assert.equal(await sessions.revokeUserSessions('user-1'), 1);
    assert.equal((await sessions.validate(b.token)).valid, false);
    assert.equal((await sessions.validate(other.token)).valid, true);
  });
});

describe('listing', () => {
  test('lists live sessions with created, last seen, user agent and IP, most recent first', async () => {
    const { sessions, clock } = setup();
    const laptop = await sessions.create('user-1', { userAgent: 'Firefox', ip: '203.0.113.1' });
    clock.advance(HOUR);
    const phone = await sessions.create('user-1', { userAgent: 'Safari', ip: '198.51.100.2' });
    clock.advance(HOUR);
    await sessions.validate(laptop.token); // laptop used last
    const listed = await sessions.listUserSessions('user-1');
    assert.deepEqual(
      listed.map((s) => [s.id, s.userAgent, s.ip]),
      [
        [laptop.session.id, 'Firefox', '203.0.113.1'],
        [phone.session.id, 'Safari', '198.51.100.2'],
      ],
    );
    assert.equal(listed[0]!.lastSeenAt, clock.now());
    assert.equal(listed[0]!.createdAt, laptop.session.createdAt);
    assert.equal(JSON.stringify(listed).includes(laptop.token.split('.')[1]!), false);
  });

  test('leaves out expired sessions and sweeps them', async () => {
    const { sessions, clock, inner } = setup({ idle: HOUR / SECOND });
    await sessions.create('user-1');
    clock.advance(2 * HOUR);
    const fresh = await sessions.create('user-1');
    assert.equal(await sessions.sweepExpired(), 1);
    assert.equal(inner.size, 1);
    assert.deepEqual(
      (await sessions.listUserSessions('user-1')).map((s) => s.id),
      [fresh.session.id],
    );
  });
});
