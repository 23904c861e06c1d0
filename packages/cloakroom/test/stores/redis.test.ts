// The Redis store against the real Redis at 127.0.0.1:6379 (REDIS_URL overrides). Each store gets its own key
// prefix and removes its own keys afterwards (never FLUSHDB: other things may use this Redis). Without a
// reachable Redis the file is skipped with a message, except on CI, where it fails.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import { CloakroomError } from '../../src/errors.js';
import { createSessionManager } from '../../src/session/manager.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { KeyLayout } from '../../src/stores/redis/keys.js';
import { RedisStore, redisClientOptions, type RedisStoreOptions } from '../../src/stores/redis/index.js';
import type { SessionRecord, SessionUser } from '../../src/stores/types.js';
import {
  assertSameRecord,
  DAY,
  HOUR,
  makeRecord,
  makeRecordFor,
  ManualClock,
  MINUTE,
  runStoreConformance,
} from './conformance.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { legacyRedisValue } from './legacy-records.js';

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const target = { host: url.hostname, port: Number(url.port || 6379) };
const runId = randomBytes(6).toString('base64url');
let stores = 0;

function connect(options: RedisOptions = {}): Redis {
  return new Redis({ ...target, ...redisClientOptions(), ...options });
}

async function reachable(): Promise<string | null> {
  const client = connect({ lazyConnect: true, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client.disconnect();
  }
}

const unreachable = await reachable();
if (unreachable !== null && process.env.CI === 'true') {
  throw new Error(`Redis at ${url.host} is not reachable on CI: ${unreachable}`);
}
const skip = unreachable === null ? false : `no Redis at ${url.host} (${unreachable}); set REDIS_URL to run`;
if (skip !== false) console.warn(`# SKIPPED test/stores/redis.test.ts: ${skip}`);

const shared = skip === false ? connect() : null;
// The offline queue is off (as recommended), so commands sent before the connection is ready fail.
if (shared !== null) await waitFor(shared, 'ready');
after(() => {
  shared?.disconnect();
});

const prefixes = new WeakMap<object, string>();

function newPrefix(): string {
  return `cr-test:${runId}:${++stores}:`;
}

/** Removes every key under `prefix` (SCAN, test clean-up only). */
async function cleanUp(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

function redisStore<U = SessionUser>(
  clock: ManualClock,
  options: RedisStoreOptions<U> = {},
): { store: RedisStore<U>; prefix: string; close: () => Promise<void> } {
  const prefix = newPrefix();
  const store = new RedisStore<U>(shared!, { prefix, clock, ...options });
  prefixes.set(store, prefix);
  return { store, prefix, close: () => cleanUp(shared!, prefix) };
}

if (skip === false) {
  runStoreConformance(
    'RedisStore',
    (clock) => {
      const { store, close, prefix } = redisStore(clock as ManualClock);
      const writeLegacy = async (record: SessionRecord): Promise<void> => {
        await store.create(record);
        await shared!.set(new KeyLayout(prefix).session(record.id)!, legacyRedisValue(record), 'KEEPTTL');
      };
      return Promise.resolve({ store, close, writeLegacy });
    },
    {
      silentServer: (port, clock, timeoutMs) => {
        // ioredis defaults: offline queue on, no command timeout. Only the store's own bound applies.
        const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
        client.on('error', () => undefined);
        const store = new RedisStore(client, { prefix: newPrefix(), clock, timeoutMs });
        return {
          store,
          close: () => {
            client.disconnect();
          },
        };
      },
    },
  );
}

/** Redis Cluster's key slot: CRC16-XMODEM of the hash tag (or the whole key), mod 16384. */
function keySlot(key: string): number {
  let hashed = key;
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** Redis commands as ioredis methods (`get`, `evalshaBuffer`, …), and generic `call`. */
const COMMAND_METHOD =
  /^(?:call|get|set|del|unlink|exists|scan|hgetall|hget|hset|evalsha|eval|zadd|zrem|pexpire)(?:Buffer)?$/;

/** A client whose commands are counted, by the ioredis methods the store calls. */
function counting(client: Redis): { client: Redis; commands: string[] } {
  const commands: string[] = [];
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property === 'string' && COMMAND_METHOD.test(property) && typeof value === 'function') {
        return (...args: unknown[]) => {
          commands.push(property.replace(/Buffer$/, '').toUpperCase());
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { client: proxy, commands };
}

const KEYS = [randomBytes(32)];

describe('RedisStore', { skip }, () => {
  test('key layout: every key of one user shares one Cluster slot, found from the session id alone', () => {
    const keys = new KeyLayout('cr:');
    const tags = new Set<string>();
    for (const userId of ['u-1', '}x', '{a}b', '', '%7d', 'a}b{c', '\u00e9\u4e2d', 'x'.repeat(255)]) {
      const tag = KeyLayout.tag(userId);
      assert.match(tag, /^[A-Za-z0-9_-]{2}$/);
      tags.add(tag);
      const id = `${tag}${randomBytes(12).toString('base64url')}`;
      const slots = new Set([keys.session(id)!, keys.index(userId), keys.user(userId)].map(keySlot));
      assert.equal(slots.size, 1, `user ${JSON.stringify(userId)}`);
      assert.equal(keys.indexTag(keys.index(userId)), tag);
      assert.equal(keys.indexTag(keys.session(id)!), null);
      assert.equal(keys.indexTag(keys.user(userId)), null);
      assert.ok(keys.index(userId).endsWith(`:x:${userId}`), 'the user id follows the tag unescaped');
    }
    assert.equal(tags.size, 8, 'these users happen to have distinct tags');
    // Users apart even when their ids look alike once braces are involved.
    assert.notEqual(keys.index('}x'), keys.index('%7dx'));
    assert.equal(keys.session('{x'), null);
    assert.equal(keys.session('ab'), null);
    for (const prefix of ['a{', 'b}', '{x}']) assert.throws(() => new KeyLayout(prefix), TypeError);
  });

  test('the session manager makes ids that carry the user tag, and signed tokens of at most 64 bytes', async () => {
    const clock = new ManualClock();
    const { store, close } = redisStore(clock);
    try {
      const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
      for (const userId of ['u-1', 'u-2', 'someone@example.com']) {
        const issued = await manager.create(userId);
        assert.equal(issued.session.id.length, 18);
        assert.equal(issued.session.id.slice(0, 2), store.sessionIdTag(userId));
        assert.ok(issued.token.length <= 64, `token of ${issued.token.length} bytes`);
        assert.equal((await manager.validate(issued.token)).valid, true);
        const rotated = await manager.rotate(issued.session);
        assert.ok(rotated !== null);
        assert.equal(rotated.session.id.slice(0, 2), store.sessionIdTag(userId));
        assert.equal((await manager.validate(rotated.token)).valid, true);
      }
    } finally {
      await close();
    }
  });

  test("ids without their user's tag are refused on write and found nowhere on read", async () => {
    const clock = new ManualClock();
    const { store, close } = redisStore(clock);
    try {
      const now = clock.now();
      assert.notEqual(store.sessionIdTag('u-1'), store.sessionIdTag('u-2'));
      const base = makeRecord(now, { userId: 'u-1' });
      const refused = [
        { ...base, id: `${store.sessionIdTag('u-2')}${base.id}` }, // another user's tag
        { ...base, id: '{x' + base.id }, // no tag at all
        { ...base, id: store.sessionIdTag('u-1') }, // nothing but the tag
      ];
      for (const record of refused) await assert.rejects(store.create(record), TypeError);
      const current = makeRecordFor(store, now, { userId: 'u-1' });
      await store.create(current);
      for (const record of refused) await assert.rejects(store.replace(current.id, 1, record), TypeError);
      // Rotation keeps the user: another user's successor is refused, and nothing changed.
      const other = makeRecordFor(store, now, { userId: 'u-2' });
      await assert.rejects(store.replace(current.id, 1, other), TypeError);
      assertSameRecord((await store.get(current.id))?.session, current);
      assert.equal(await store.get(other.id), null);
      for (const id of [...refused.map((record) => record.id), 'x', '', '{a}'.repeat(6)]) {
        assert.equal(await store.get(id), null);
        assert.equal(await store.touch(id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), false);
        await store.delete(id);
      }
    } finally {
      await close();
    }
  });

  test('rejects bad options', () => {
    for (const timeoutMs of [0, -1, Number.NaN])
      assert.throws(() => new RedisStore(shared!, { timeoutMs }), TypeError);
    for (const sweepBatchSize of [0, 2.5])
      assert.throws(() => new RedisStore(shared!, { sweepBatchSize }), TypeError);
    assert.throws(() => new RedisStore(shared!, { prefix: 'x{' }), TypeError);
    assert.throws(() => redisClientOptions({ commandTimeoutMs: 0 }), TypeError);
    // ioredis's keyPrefix would reach KEYS but not the keys scripts build: revoke-all would revoke nothing.
    const prefixed = new Redis({ ...target, lazyConnect: true, keyPrefix: 'app:' });
    assert.throws(() => new RedisStore(prefixed), /keyPrefix/);
    prefixed.disconnect();
  });

  test('TTLs: the session and its index expire at expiresAt', async () => {
    const clock = new ManualClock();
    const { store, close } = redisStore(clock);
    try {
      const now = clock.now();
      const record = makeRecordFor(store, now, { expiresAt: now + HOUR, absoluteExpiresAt: now + DAY });
      await store.create(record);
      const layout = layoutOf(store);
      const near = (actual: number, expected: number) =>
        assert.ok(Math.abs(actual - expected) < 5000, `PTTL ${actual}, expected about ${expected}`);
      near(await shared!.pttl(layout.session(record.id)!), HOUR);
      near(await shared!.pttl(layout.index(record.userId)), HOUR);

      // A touch moves the session's TTL and extends the index; the TTL follows the store's clock.
      const later = clock.advance(10 * MINUTE);
      assert.equal(
        await store.touch(record.id, { lastSeenAt: later, expiresAt: later + 2 * HOUR, version: 1 }),
        true,
      );
      near(await shared!.pttl(layout.session(record.id)!), 2 * HOUR);
      near(await shared!.pttl(layout.index(record.userId)), 2 * HOUR);
      assert.equal(await shared!.zscore(layout.index(record.userId), record.id), String(later + 2 * HOUR));
    } finally {
      await close();
    }
  });

  test('a session is one packed string holding the raw 32-byte hash, and nothing else is written', async () => {
    const clock = new ManualClock();
    const { store, close, prefix } = redisStore(clock);
    try {
      const record = makeRecordFor(store, clock.now(), { userAgent: null, userId: 'u-1' });
      await store.create(record);
      const key = layoutOf(store).session(record.id)!;
      assert.equal(await shared!.type(key), 'string');
      const value = await shared!.getBuffer(key);
      assert.ok(value !== null);
      assert.ok(value.includes(Buffer.from(record.secretHash)));
      // 34 fixed bytes, the user id, the hash with its length byte, the IP with its length (no user agent),
      // then authTime and amr with its length byte.
      const amr = record.amr.join(' ').length;
      assert.equal(value.length, 34 + 3 + 33 + 2 + Buffer.byteLength(record.ip ?? '') + 6 + 1 + amr);
      const [, keys] = await shared!.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000);
      assert.deepStrictEqual(keys.sort(), [key, layoutOf(store).index('u-1')].sort());
    } finally {
      await close();
    }
  });

  test('session and user snapshot in one round trip; snapshots follow setUser and deleteUser', async () => {
    interface AppUser {
      id: string;
      email: string;
    }
    const clock = new ManualClock();
    const prefix = newPrefix();
    const { client, commands } = counting(shared!);
    const store = new RedisStore<AppUser>(client, { prefix, clock, users: true });
    const cold = new RedisStore<AppUser>(client, { prefix, clock, users: true });
    try {
      const record = makeRecordFor(store, clock.now(), { userId: 'u-1' });
      await store.setUser('u-1', { id: 'u-1', email: 'ada@example.com' });
      await store.create(record);
      await store.get(record.id); // the first run of a script on a server loads it (EVALSHA, then EVAL)

      commands.length = 0;
      const found = await store.get(record.id);
      assertSameRecord(found?.session, record);
      assert.deepStrictEqual(found?.user, { id: 'u-1', email: 'ada@example.com' });
      assert.deepStrictEqual(commands, ['EVALSHA'], 'one script brings session and user');

      // Another process, which has never seen the id: the same one script (the id carries the slot).
      commands.length = 0;
      assert.deepStrictEqual((await cold.get(record.id))?.user, { id: 'u-1', email: 'ada@example.com' });
      assert.deepStrictEqual(commands, ['EVALSHA']);

      await store.setUser('u-1', { id: 'u-1', email: 'ada@example.org' });
      assert.deepStrictEqual((await cold.get(record.id))?.user, { id: 'u-1', email: 'ada@example.org' });

      await store.deleteUser('u-1');
      const orphan = await store.get(record.id);
      assertSameRecord(orphan?.session, record);
      assert.equal(orphan?.user, null);

      // Through the session manager: a missing snapshot is user_not_found, never a valid session.
      const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
      const issued = await manager.create('u-2');
      assert.deepStrictEqual(await manager.validate(issued.token), {
        valid: false,
        reason: 'user_not_found',
      });
      await store.setUser('u-2', { id: 'u-2', email: 'bob@example.com' });
      const result = await manager.validate(issued.token);
      assert.ok(result.valid);
      assert.equal(result.user.email, 'bob@example.com');
    } finally {
      await cleanUp(shared!, prefix);
    }
  });

  test('without snapshots the user comes from loadUser (default { id }) after one command', async () => {
    const clock = new ManualClock();
    const { client, commands } = counting(shared!);
    const prefix = newPrefix();
    const plain = new RedisStore(client, { prefix, clock });
    const loaded = new RedisStore(client, {
      prefix,
      clock,
      loadUser: (id) => (id === 'u-1' ? { id, name: 'Ada' } : null),
    });
    const fallback = new RedisStore<{ id: string; name: string }>(client, {
      prefix,
      clock,
      users: true,
      loadUser: (id) => ({ id, name: 'from the database' }),
    });
    try {
      const record = makeRecordFor(plain, clock.now(), { userId: 'u-1' });
      await plain.create(record);
      commands.length = 0;
      assert.deepStrictEqual((await plain.get(record.id))?.user, { id: 'u-1' });
      assert.deepStrictEqual(commands, ['GET']);
      assert.deepStrictEqual((await loaded.get(record.id))?.user, { id: 'u-1', name: 'Ada' });
      assert.deepStrictEqual((await fallback.get(record.id))?.user, { id: 'u-1', name: 'from the database' });
      await assert.rejects(plain.setUser('u-1', { id: 'u-1' }), TypeError);
      await assert.rejects(plain.deleteUser('u-1'), TypeError);
    } finally {
      await cleanUp(shared!, prefix);
    }
  });

  test('a session another process deleted is gone here too, and a touch cannot revive it', async () => {
    const clock = new ManualClock();
    const { store: a, prefix, close } = redisStore(clock);
    const b = new RedisStore(shared!, { prefix, clock });
    prefixes.set(b, prefix);
    try {
      const record = makeRecordFor(a, clock.now());
      await a.create(record);
      assert.ok((await a.get(record.id)) !== null);
      await b.delete(record.id);
      assert.equal(await a.get(record.id), null);
      const now = clock.now();
      assert.equal(await a.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), false);
      assert.equal(await a.get(record.id), null);
      assert.equal(await shared!.exists(layoutOf(a).index(record.userId)), 0);
    } finally {
      await close();
    }
  });

  test('with user snapshots, a session that is gone reads as null (not an error)', async () => {
    const clock = new ManualClock();
    const { store: a, prefix, close } = redisStore<SessionUser>(clock, { users: true });
    const b = new RedisStore<SessionUser>(shared!, { prefix, clock, users: true });
    prefixes.set(b, prefix);
    try {
      await a.setUser('u-1', { id: 'u-1' });
      // Deleted by another process.
      const deleted = makeRecordFor(a, clock.now(), { userId: 'u-1' });
      await a.create(deleted);
      assert.ok((await a.get(deleted.id)) !== null);
      await b.delete(deleted.id);
      assert.equal(await a.get(deleted.id), null);

      // Its TTL ran out: the session key is gone, its id stays in the index.
      const lapsed = makeRecordFor(a, clock.now(), { userId: 'u-1' });
      await a.create(lapsed);
      await shared!.del(layoutOf(a).session(lapsed.id)!);
      assert.equal(await a.get(lapsed.id), null);
      assert.equal(await b.get(lapsed.id), null);

      // Through the session manager: not_found, never store_unavailable.
      const manager = createSessionManager({ store: a, origin: 'https://app.example', keys: KEYS, clock });
      const issued = await manager.create('u-1');
      assert.equal((await manager.validate(issued.token)).valid, true);
      await shared!.del(layoutOf(a).session(issued.session.id)!);
      assert.deepStrictEqual(await manager.validate(issued.token), { valid: false, reason: 'not_found' });
    } finally {
      await close();
    }
  });

  test('ids whose sessions Redis expired are pruned from the index by listByUser, deleteByUser and deleteExpired', async () => {
    const clock = new ManualClock();
    const { store, close } = redisStore(clock, { sweepBatchSize: 2 });
    try {
      const now = clock.now();
      const layout = layoutOf(store);
      const records = [1, 2, 3, 4, 5].map(() => makeRecordFor(store, now, { userId: 'pat' }));
      for (const record of records) await store.create(record);
      // What a TTL running out does: the session key disappears, its id stays in the index.
      const [gone, ...live] = records as [(typeof records)[0], ...typeof records];
      await shared!.del(layout.session(gone.id)!);
      assert.equal(await shared!.zcard(layout.index('pat')), 5);
      assert.deepStrictEqual(
        (await store.listByUser('pat')).map((r) => r.id).sort(),
        live.map((r) => r.id).sort(),
      );
      assert.equal(await shared!.zcard(layout.index('pat')), 4);

      // deleteExpired counts only sessions it removed, in batches of 2, and prunes what TTLs left behind.
      for (const record of live.slice(0, 3)) await shared!.del(layout.session(record.id)!);
      assert.equal(await store.deleteExpired(now + HOUR), 1);
      assert.equal(await shared!.exists(layout.index('pat')), 0);
    } finally {
      await close();
    }
  });

  test('deleteExpired sweeps many users, in bounded steps, leaving live sessions and other prefixes alone', async () => {
    const clock = new ManualClock();
    const { store, close } = redisStore(clock, { sweepBatchSize: 3 });
    const other = redisStore(clock);
    try {
      const now = clock.now();
      const expired: SessionRecord[] = [];
      const live: SessionRecord[] = [];
      for (let user = 0; user < 7; user++) {
        for (let i = 0; i < 4; i++) {
          const record = makeRecordFor(store, now, {
            userId: `user-${user}`,
            expiresAt: now + (i % 2 === 0 ? HOUR : 3 * HOUR),
          });
          (i % 2 === 0 ? expired : live).push(record);
          await store.create(record);
        }
      }
      const elsewhere = makeRecordFor(other.store, now, { expiresAt: now + HOUR });
      await other.store.create(elsewhere);
      assert.equal(await store.deleteExpired(now + 2 * HOUR), expired.length);
      for (const record of expired) assert.equal(await store.get(record.id), null);
      for (const record of live) assertSameRecord((await store.get(record.id))?.session, record);
      assertSameRecord((await other.store.get(elsewhere.id))?.session, elsewhere);
      assert.equal(await store.deleteExpired(now + 2 * HOUR), 0);
    } finally {
      await close();
      await other.close();
    }
  });

  test('a store whose Redis is down rejects at once, and validate gives store_unavailable', async () => {
    const down = connect({ port: 1, host: '127.0.0.1' });
    down.on('error', () => undefined);
    try {
      const clock = new ManualClock();
      const store = new RedisStore(down, { prefix: newPrefix(), clock });
      const record = makeRecordFor(store, clock.now());
      const calls = [
        () => store.get(record.id),
        () => store.create(record),
        () => store.touch(record.id, { lastSeenAt: 1, expiresAt: 2, version: 1 }),
        () => store.replace(record.id, 1, record),
        () => store.delete(record.id),
        () => store.listByUser('u'),
        () => store.deleteByUser('u'),
        () => store.deleteExpired(1),
      ];
      for (const call of calls) {
        const started = performance.now();
        await assert.rejects(call());
        assert.ok(performance.now() - started < 1500, 'bounded time');
      }
      const token = await tokenFor(clock);
      const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
      await assert.rejects(manager.validate(token), (error: unknown) => {
        assert.ok(error instanceof CloakroomError);
        assert.equal(error.code, 'store_unavailable');
        return true;
      });
    } finally {
      down.disconnect();
    }
  });

  test('service comes back by itself when Redis does (through a proxy that is stopped and restarted)', async () => {
    const proxy = new TcpProxy(target);
    const port = await proxy.start(0);
    const client = new Redis({
      host: '127.0.0.1',
      port,
      ...redisClientOptions({ maxReconnectDelayMs: 100 }),
    });
    client.on('error', () => undefined);
    const prefix = newPrefix();
    try {
      await waitFor(client, 'ready');
      const clock = new ManualClock();
      const store = new RedisStore(client, { prefix, clock });
      const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
      const issued = await manager.create('u-1');
      assert.equal((await manager.validate(issued.token)).valid, true);

      await proxy.stop();
      await assert.rejects(manager.validate(issued.token), { code: 'store_unavailable' });
      await assert.rejects(manager.revoke(issued.session.id), { code: 'store_unavailable' });

      await proxy.start(port);
      await waitFor(client, 'ready');
      // Nothing was lost or signed out while Redis was away.
      assert.equal((await manager.validate(issued.token)).valid, true);
    } finally {
      client.disconnect();
      await proxy.stop();
      await cleanUp(shared!, prefix);
    }
  });
});

/** The key layout of a store made by `redisStore`, so tests can read the keys it wrote. */
function layoutOf(store: object): KeyLayout {
  const prefix = prefixes.get(store);
  assert.ok(prefix !== undefined);
  return new KeyLayout(prefix);
}

/** A signed token for a fresh session, issued by a manager on another store (same keys). */
async function tokenFor(clock: ManualClock): Promise<string> {
  const manager = createSessionManager({
    store: new MemoryStore({ clock }),
    origin: 'https://app.example',
    keys: KEYS,
    clock,
  });
  return (await manager.create('u-1')).token;
}

function waitFor(client: Redis, event: 'ready'): Promise<void> {
  if (client.status === event) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`client not ${event} within 5 s`));
    }, 5000);
    client.once(event, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
