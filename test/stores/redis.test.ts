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
  ManualClock,
  MINUTE,
  runStoreConformance,
} from './conformance.js';
import { silentServer, TcpProxy } from '../helpers/tcp-proxy.js';

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
  runStoreConformance('RedisStore', (clock) => {
    const { store, close } = redisStore(clock as ManualClock);
    return Promise.resolve({ store, close });
  });
  runStoreConformance('RedisStore (no pointer cache)', (clock) => {
    const { store, close } = redisStore(clock as ManualClock, { pointerCacheSize: 0 });
    return Promise.resolve({ store, close });
  });
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
  test('key layout: every key of one user shares one Cluster slot, whatever the user id', () => {
    const keys = new KeyLayout('cr:');
    for (const userId of ['u-1', '}x', '{a}b', '', '%7d', 'a}b{c', '\u00e9\u4e2d']) {
      const slots = new Set(
        [
          keys.session(userId, 'id1'),
          keys.session(userId, 'other}{x'),
          keys.index(userId),
          keys.user(userId),
        ].map(keySlot),
      );
      assert.equal(slots.size, 1, `user ${JSON.stringify(userId)}`);
      assert.ok(keys.isIndex(keys.index(userId)));
      assert.ok(!keys.isIndex(keys.session(userId, 'z}:x')));
    }
    // Escaping keeps users apart.
    assert.notEqual(keys.index('}x'), keys.index('%7dx'));
    assert.notEqual(keys.index(''), keys.index('%'));
    for (const prefix of ['a{', 'b}', '{x}']) assert.throws(() => new KeyLayout(prefix), TypeError);
  });

  test('rejects bad options', () => {
    for (const pointerCacheSize of [-1, 1.5]) {
      assert.throws(() => new RedisStore(shared!, { pointerCacheSize }), TypeError);
    }
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

  test('TTLs: the session and its index expire at expiresAt, the pointer at absoluteExpiresAt', async () => {
    const clock = new ManualClock();
    const { store, close } = redisStore(clock);
    try {
      const now = clock.now();
      const record = makeRecord(now, { expiresAt: now + HOUR, absoluteExpiresAt: now + DAY });
      await store.create(record);
      const layout = layoutOf(store);
      const near = (actual: number, expected: number) =>
        assert.ok(Math.abs(actual - expected) < 5000, `PTTL ${actual}, expected about ${expected}`);
      near(await shared!.pttl(layout.session(record.userId, record.id)), HOUR);
      near(await shared!.pttl(layout.index(record.userId)), HOUR);
      near(await shared!.pttl(layout.pointer(record.id)), DAY);

      // A touch moves the session's TTL and extends the index; the TTL follows the store's clock.
      const later = clock.advance(10 * MINUTE);
      assert.equal(
        await store.touch(record.id, { lastSeenAt: later, expiresAt: later + 2 * HOUR, version: 1 }),
        true,
      );
      near(await shared!.pttl(layout.session(record.userId, record.id)), 2 * HOUR);
      near(await shared!.pttl(layout.index(record.userId)), 2 * HOUR);
      assert.equal(await shared!.zscore(layout.index(record.userId), record.id), String(later + 2 * HOUR));
    } finally {
      await close();
    }
  });

  test('a session record is a compact hash with one-letter fields and the raw 32-byte hash', async () => {
    const clock = new ManualClock();
    const { store, close } = redisStore(clock);
    try {
      const record = makeRecord(clock.now(), { userAgent: null });
      await store.create(record);
      const key = layoutOf(store).session(record.userId, record.id);
      const fields = await shared!.hgetallBuffer(key);
      assert.deepStrictEqual(Object.keys(fields).sort(), ['a', 'c', 'e', 'h', 'i', 'l', 'v']);
      assert.deepStrictEqual(fields.h, Buffer.from(record.secretHash));
      assert.equal(await shared!.object('ENCODING', key), 'listpack');
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
      const record = makeRecord(clock.now(), { userId: 'u-1' });
      await store.setUser('u-1', { id: 'u-1', email: 'ada@example.com' });
      await store.create(record);
      await store.get(record.id); // the first run of a script on a server loads it (EVALSHA, then EVAL)

      commands.length = 0;
      const found = await store.get(record.id);
      assertSameRecord(found?.session, record);
      assert.deepStrictEqual(found?.user, { id: 'u-1', email: 'ada@example.com' });
      assert.deepStrictEqual(commands, ['EVALSHA'], 'one script brings session and user');

      // Another process has not seen the id yet: one pointer read first, then the same one script.
      commands.length = 0;
      assert.deepStrictEqual((await cold.get(record.id))?.user, { id: 'u-1', email: 'ada@example.com' });
      assert.deepStrictEqual(commands, ['GET', 'EVALSHA']);
      commands.length = 0;
      await cold.get(record.id);
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
      const record = makeRecord(clock.now(), { userId: 'u-1' });
      await plain.create(record);
      commands.length = 0;
      assert.deepStrictEqual((await plain.get(record.id))?.user, { id: 'u-1' });
      assert.deepStrictEqual(commands, ['HGETALL']);
      assert.deepStrictEqual((await loaded.get(record.id))?.user, { id: 'u-1', name: 'Ada' });
      assert.deepStrictEqual((await fallback.get(record.id))?.user, { id: 'u-1', name: 'from the database' });
      await assert.rejects(plain.setUser('u-1', { id: 'u-1' }), TypeError);
      await assert.rejects(plain.deleteUser('u-1'), TypeError);
    } finally {
      await cleanUp(shared!, prefix);
    }
  });

  test("a process's cached pointer never revives a session another process deleted", async () => {
    const clock = new ManualClock();
    const { store: a, prefix, close } = redisStore(clock);
    const b = new RedisStore(shared!, { prefix, clock });
    prefixes.set(b, prefix);
    try {
      const record = makeRecord(clock.now());
      await a.create(record);
      assert.ok((await a.get(record.id)) !== null);
      await b.delete(record.id);
      assert.equal(await a.get(record.id), null);
      const now = clock.now();
      assert.equal(await a.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), false);
      assert.equal(await shared!.exists(layoutOf(a).pointer(record.id)), 0);
    } finally {
      await close();
    }
  });

  test('with user snapshots, a session that is gone reads as null (not an error) whatever the pointer says', async () => {
    const clock = new ManualClock();
    const { store: a, prefix, close } = redisStore<SessionUser>(clock, { users: true });
    const b = new RedisStore<SessionUser>(shared!, { prefix, clock, users: true });
    prefixes.set(b, prefix);
    try {
      await a.setUser('u-1', { id: 'u-1' });
      // Deleted by another process while this one still caches the pointer.
      const deleted = makeRecord(clock.now(), { userId: 'u-1' });
      await a.create(deleted);
      assert.ok((await a.get(deleted.id)) !== null);
      await b.delete(deleted.id);
      assert.equal(await a.get(deleted.id), null);

      // Its TTL ran out (the session key is gone) while the pointer, which lives to absoluteExpiresAt, stays.
      const lapsed = makeRecord(clock.now(), { userId: 'u-1' });
      await a.create(lapsed);
      await shared!.del(layoutOf(a).session('u-1', lapsed.id));
      assert.equal(await shared!.exists(layoutOf(a).pointer(lapsed.id)), 1);
      assert.equal(await a.get(lapsed.id), null);
      assert.equal(await b.get(lapsed.id), null);

      // Through the session manager: not_found, never store_unavailable.
      const manager = createSessionManager({ store: a, origin: 'https://app.example', keys: KEYS, clock });
      const issued = await manager.create('u-1');
      assert.equal((await manager.validate(issued.token)).valid, true);
      await shared!.del(layoutOf(a).session('u-1', issued.session.id));
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
      const records = [1, 2, 3, 4, 5].map(() => makeRecord(now, { userId: 'pat' }));
      for (const record of records) await store.create(record);
      // What a TTL running out does: the session key disappears, its id stays in the index.
      const [gone, ...live] = records as [(typeof records)[0], ...typeof records];
      await shared!.del(layout.session('pat', gone.id));
      assert.equal(await shared!.zcard(layout.index('pat')), 5);
      assert.deepStrictEqual(
        (await store.listByUser('pat')).map((r) => r.id).sort(),
        live.map((r) => r.id).sort(),
      );
      assert.equal(await shared!.zcard(layout.index('pat')), 4);

      // deleteExpired counts only sessions it removed, in batches of 2, and prunes what TTLs left behind.
      for (const record of live.slice(0, 3)) await shared!.del(layout.session('pat', record.id));
      assert.equal(await store.deleteExpired(now + HOUR), 1);
      assert.equal(await shared!.exists(layout.index('pat')), 0);
      for (const record of records) assert.equal(await shared!.exists(layout.pointer(record.id)), 0);
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
          const record = makeRecord(now, {
            userId: `user-${user}`,
            expiresAt: now + (i % 2 === 0 ? HOUR : 3 * HOUR),
          });
          (i % 2 === 0 ? expired : live).push(record);
          await store.create(record);
        }
      }
      const elsewhere = makeRecord(now, { expiresAt: now + HOUR });
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
      const record = makeRecord(clock.now());
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

  test('a server that never answers: the store gives up after timeoutMs even on a client without limits', async () => {
    const silent = await silentServer();
    const { port } = silent;
    // ioredis defaults: offline queue on, no command timeout. Only the store's own bound applies.
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    try {
      const clock = new ManualClock();
      const store = new RedisStore(client, { prefix: newPrefix(), clock, timeoutMs: 300 });
      const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
      const started = performance.now();
      await assert.rejects(manager.validate(await tokenFor(clock)), { code: 'store_unavailable' });
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 1500, `gave up after ${Math.round(elapsed)} ms`);
    } finally {
      client.disconnect();
      await silent.close();
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
