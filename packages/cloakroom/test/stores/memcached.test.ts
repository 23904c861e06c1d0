// The memcached store against the real memcached at 127.0.0.1:11311 (scripts/start-memcached.sh starts Debian's
// memcached there; MEMCACHED_SERVER=host:port overrides). Each store gets its own key prefix and deletes the
// keys it wrote afterwards (never flush_all: other things may use this memcached). Without a reachable
// memcached the file is skipped with a message, except on CI, where it fails.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { Client, type ClientOptions, type ServerOptions } from 'memjs';
import { createSessionManager } from '../../src/session/manager.js';
import { MemoryStore } from '../../src/stores/memory.js';
import {
  MemcachedStore,
  memcachedClientOptions,
  type MemcachedClient,
  type MemcachedStoreOptions,
} from '../../src/stores/memcached/index.js';
import type { SessionRecord, SessionUser } from '../../src/stores/types.js';
import {
  assertSameRecord,
  DAY,
  HOUR,
  makeRecord,
  ManualClock,
  MINUTE,
  randomId,
  runStoreConformance,
} from './conformance.js';
import { listen, silentServer, TcpProxy } from '../helpers/tcp-proxy.js';
import { legacyMemcachedValue } from './legacy-records.js';

const server = process.env.MEMCACHED_SERVER ?? '127.0.0.1:11311';
const [host = '127.0.0.1', portText = '11311'] = server.split(':');
const target = { host, port: Number(portText) };
const runId = randomBytes(6).toString('base64url');
const quiet = { log: () => undefined };
let stores = 0;

function connect(address: string = server, options: ClientOptions & ServerOptions = {}): Client {
  return Client.create(address, { ...memcachedClientOptions(), logger: quiet, ...options });
}

/** One text-protocol command on a fresh connection; the reply up to its first line ending. */
function rawCommand(command: string, to: { host: string; port: number } = target): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(to);
    let reply = '';
    socket.setTimeout(2000, () => {
      socket.destroy(new Error('no reply within 2 s'));
    });
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      const end = reply.indexOf('\r\n');
      if (end !== -1) {
        socket.destroy();
        resolve(reply.slice(0, end));
      }
    });
    socket.on('connect', () => socket.write(`${command}\r\n`));
  });
}

async function reachable(): Promise<string | null> {
  try {
    const reply = await rawCommand('version');
    return reply.startsWith('VERSION ') ? null : `unexpected reply ${JSON.stringify(reply)}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const unreachable = await reachable();
if (unreachable !== null && process.env.CI === 'true') {
  throw new Error(`memcached at ${server} is not reachable on CI: ${unreachable}`);
}
const skip =
  unreachable === null
    ? false
    : `no memcached at ${server} (${unreachable}); run scripts/start-memcached.sh or set MEMCACHED_SERVER`;
if (skip !== false) {
  console.warn(`# SKIPPED test/stores/memcached.test.ts: ${skip}`);
  // Counted as a skipped test in the summary, not only as a skipped suite.
  test('MemcachedStore against a real memcached', { skip }, () => undefined);
}

const shared = skip === false ? connect() : null;
after(() => {
  shared?.close();
});

function newPrefix(): string {
  return `cr-test:${runId}:${++stores}:`;
}

/**
 * The real client, recording every key the store touches (for clean-up) and able to run `before` ahead of a
 * request with a given binary opcode (0x03 replace, 0x04 delete), to interleave another process's write
 * deterministically.
 */
function tracking(client: MemcachedClient & { delete(key: string): Promise<unknown> }): {
  client: MemcachedClient;
  keys: Set<string>;
  before: Map<number, () => Promise<void>>;
  cleanUp: () => Promise<void>;
} {
  const keys = new Set<string>();
  const before = new Map<number, () => Promise<void>>();
  const wrapped: MemcachedClient = {
    get seq() {
      return client.seq;
    },
    incrSeq: () => {
      client.incrSeq();
    },
    perform: (key, request, seq, callback, retries) => {
      keys.add(key);
      const hook = before.get(request.readUInt8(1));
      if (hook === undefined) {
        client.perform(key, request, seq, callback, retries);
        return;
      }
      before.delete(request.readUInt8(1));
      hook().then(
        () => {
          client.perform(key, request, seq, callback, retries);
        },
        (error: unknown) => callback?.(error as Error),
      );
    },
  };
  const cleanUp = async () => {
    await Promise.all([...keys].map((key) => client.delete(key)));
  };
  return { client: wrapped, keys, before, cleanUp };
}

function memcachedStore<U = SessionUser>(
  clock: ManualClock,
  options: MemcachedStoreOptions<U> = {},
): { store: MemcachedStore<U>; prefix: string; keys: Set<string>; close: () => Promise<void> } {
  const prefix = newPrefix();
  const { client, keys, cleanUp } = tracking(shared!);
  const store = new MemcachedStore<U>(client, { prefix, clock, ...options });
  return { store, prefix, keys, close: cleanUp };
}

if (skip === false) {
  runStoreConformance(
    'MemcachedStore',
    (clock) => {
      const { store, close, prefix } = memcachedStore(clock as ManualClock);
      const writeLegacy = async (record: SessionRecord): Promise<void> => {
        await store.create(record);
        await shared!.set(`${prefix}s:${record.id}`, legacyMemcachedValue(record), { expires: 3600 });
      };
      return Promise.resolve({ store, close, writeLegacy });
    },
    {
      index: false,
      silentServer: (port, clock, timeoutMs) => {
        // memjs with a 60 s request timeout: only the store's own bound applies.
        const client = Client.create(`127.0.0.1:${port}`, { timeout: 60, retries: 1, logger: quiet });
        const store = new MemcachedStore(client, { prefix: newPrefix(), clock, timeoutMs });
        return {
          store,
          close: () => {
            client.close();
          },
        };
      },
    },
  );
}

/** The remaining TTL memcached reports for `key` (meta get, `t` flag): seconds, or -1 for "never". */
async function remainingTtl(key: string): Promise<number> {
  const reply = await rawCommand(`mg ${key} t`);
  const match = /^HD t(-?\d+)$/.exec(reply);
  assert.ok(match !== null, `mg ${key}: ${reply}`);
  return Number(match[1]);
}

const KEYS = [randomBytes(32)];

describe('MemcachedStore', { skip }, () => {
  test('rejects bad options', () => {
    for (const prefix of ['has space', 'tab\t', 'x'.repeat(65), 'caf\u00e9']) {
      assert.throws(() => new MemcachedStore(shared!, { prefix }), TypeError);
    }
    for (const timeoutMs of [0, -1, Number.NaN]) {
      assert.throws(() => new MemcachedStore(shared!, { timeoutMs }), TypeError);
    }
    assert.throws(() => memcachedClientOptions({ timeoutMs: 0 }), TypeError);
    assert.throws(() => memcachedClientOptions({ connectTimeoutMs: -1 }), TypeError);
    assert.deepStrictEqual(memcachedClientOptions({ timeoutMs: 250 }), {
      timeout: 0.25,
      conntimeout: 1,
      retries: 1,
      failover: false,
      keepAlive: true,
      keepAliveDelay: 30,
    });
  });

  test('one compact value per session, under <prefix>s:<id>, holding the raw hash', async () => {
    const clock = new ManualClock();
    const { store, prefix, keys, close } = memcachedStore(clock);
    try {
      const record = makeRecord(clock.now(), { userId: 'u-1' });
      await store.create(record);
      assert.deepStrictEqual([...keys], [`${prefix}s:${record.id}`]);
      const { value } = await shared!.get(`${prefix}s:${record.id}`);
      assert.ok(value !== null);
      const strings = [record.userId, record.userAgent ?? '', record.ip ?? ''].map((s) =>
        Buffer.byteLength(s),
      );
      const amr = record.amr.join(' ').length;
      // format, hash length and hash, five numbers, three string lengths and the strings, authTime, amr
      assert.equal(value.length, 1 + 1 + 32 + 5 * 8 + 3 * 2 + strings.reduce((a, b) => a + b) + 8 + 2 + amr);
      assert.ok(value.includes(Buffer.from(record.secretHash)), 'the 32 raw bytes of the hash');
      assert.ok(!value.includes(Buffer.from(record.id)), 'the id is the key, not repeated');
    } finally {
      await close();
    }
  });

  test("the client's own serializer is bypassed: the store's values are its own bytes", async () => {
    const serializer = {
      serialize: (_opcode: number, value: unknown, extras: Buffer) => ({
        value: Buffer.from(JSON.stringify(value)),
        extras,
      }),
      deserialize: (_opcode: number, value: Buffer, extras: Buffer) => ({
        value: JSON.parse(value.toString()) as unknown,
        extras,
      }),
    };
    const client = Client.create(server, { ...memcachedClientOptions(), logger: quiet, serializer });
    const { client: tracked, cleanUp } = tracking(client);
    try {
      const clock = new ManualClock();
      const store = new MemcachedStore(tracked, { prefix: newPrefix(), clock });
      const record = makeRecord(clock.now());
      await store.create(record);
      assertSameRecord((await store.get(record.id))?.session, record);
    } finally {
      await cleanUp();
      client.close();
    }
  });

  test('ids that are not base64url, or too long for a key, are hashed into the key and still work', async () => {
    const clock = new ManualClock();
    const { store, prefix, keys, close } = memcachedStore(clock);
    try {
      for (const id of ['with space\r\nand "quotes"', 'x'.repeat(300), '\u00e9\u4e2d', 'a:b']) {
        const record = makeRecord(clock.now(), { id });
        await store.create(record);
        assertSameRecord((await store.get(id))?.session, record);
        const now = clock.now();
        assert.equal(await store.touch(id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), true);
        await store.delete(id);
        assert.equal(await store.get(id), null);
      }
      for (const key of keys) {
        assert.ok(Buffer.byteLength(key) <= 250, key);
        assert.match(key.slice(prefix.length), /^s#[A-Za-z0-9_-]{43}$/);
      }
    } finally {
      await close();
    }
  });

  test('TTLs: seconds from the store clock up to 30 days, an absolute unix time beyond', async () => {
    const clock = new ManualClock();
    const { store, prefix, close } = memcachedStore(clock);
    const near = (actual: number, expected: number) => {
      assert.ok(Math.abs(actual - expected) <= 5, `TTL ${actual} s, expected about ${expected} s`);
    };
    try {
      const now = clock.now();
      const hour = makeRecord(now, { expiresAt: now + HOUR });
      await store.create(hour);
      near(await remainingTtl(`${prefix}s:${hour.id}`), HOUR / 1000);

      // A touch moves the TTL, computed from the store's clock.
      const later = clock.advance(10 * MINUTE);
      assert.equal(
        await store.touch(hour.id, { lastSeenAt: later, expiresAt: later + 2 * HOUR, version: 1 }),
        true,
      );
      near(await remainingTtl(`${prefix}s:${hour.id}`), (2 * HOUR) / 1000);

      // Exactly 30 days is still relative; 60 days must be sent as an absolute time, or memcached would read
      // 5,184,000 as a moment in 1970 and drop the session at once.
      for (const days of [30, 60, 400]) {
        const record = makeRecord(later, {
          expiresAt: later + days * DAY,
          absoluteExpiresAt: later + days * DAY,
        });
        await store.create(record);
        assertSameRecord((await store.get(record.id))?.session, record);
        near(await remainingTtl(`${prefix}s:${record.id}`), (days * DAY) / 1000);
        const touched = { lastSeenAt: later, expiresAt: later + (days + 1) * DAY, version: 1 };
        assert.equal(await store.touch(record.id, touched), true);
        assert.equal((await store.get(record.id))?.session.version, 2);
        near(await remainingTtl(`${prefix}s:${record.id}`), ((days + 1) * DAY) / 1000);
      }

      // Already past: the shortest TTL memcached has (1 s), never 0, which would mean "keep for ever".
      const past = makeRecord(later, { expiresAt: later - MINUTE });
      await store.create(past);
      const ttl = await remainingTtl(`${prefix}s:${past.id}`);
      assert.ok(ttl === 0 || ttl === 1, `TTL ${ttl}`);
    } finally {
      await close();
    }
  });

  test('a touch from another process that lost the race to a sign-out never revives the session', async () => {
    const clock = new ManualClock();
    const { client, before, cleanUp } = tracking(shared!);
    try {
      const prefix = newPrefix();
      const a = new MemcachedStore(client, { prefix, clock });
      const b = new MemcachedStore(shared!, { prefix, clock });
      const record = makeRecord(clock.now());
      await a.create(record);
      // `a` has read the session; `b` deletes it before `a`'s conditional write reaches memcached.
      before.set(0x03, () => b.delete(record.id));
      const now = clock.advance(MINUTE);
      assert.equal(await a.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), false);
      assert.equal(before.size, 0, 'the interleaving happened');
      assert.equal(await a.get(record.id), null);
      assert.equal(await b.get(record.id), null);

      // And a write in between (another process's touch) makes the late one lose too.
      const second = makeRecord(clock.now());
      await a.create(second);
      before.set(0x03, async () => {
        assert.equal(
          await b.touch(second.id, { lastSeenAt: now, expiresAt: now + 3 * HOUR, version: 1 }),
          true,
        );
      });
      assert.equal(await a.touch(second.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), false);
      const found = (await a.get(second.id))?.session;
      assert.equal(found?.version, 2);
      assert.equal(found.expiresAt, now + 3 * HOUR);
    } finally {
      await cleanUp();
    }
  });

  test('a rotation whose old session is signed out mid-way leaves no successor behind', async () => {
    const clock = new ManualClock();
    const { client, before, cleanUp } = tracking(shared!);
    try {
      const prefix = newPrefix();
      const a = new MemcachedStore(client, { prefix, clock });
      const b = new MemcachedStore(shared!, { prefix, clock });
      const old = makeRecord(clock.now());
      await a.create(old);
      const next = makeRecord(clock.now(), { userId: old.userId });
      // The successor is added; then, before the old session's conditional delete, another process signs out.
      before.set(0x04, () => b.delete(old.id));
      assert.equal(await a.replace(old.id, 1, next), false);
      assert.equal(before.size, 0, 'the interleaving happened');
      assert.equal(await b.get(old.id), null);
      assert.equal(await b.get(next.id), null);
    } finally {
      await cleanUp();
    }
  });

  test('user snapshots: read with the session, follow setUser and deleteUser, fall back to loadUser', async () => {
    interface AppUser {
      id: string;
      email: string;
    }
    const clock = new ManualClock();
    const { store, prefix, close } = memcachedStore<AppUser>(clock, { users: true });
    const { client, cleanUp } = tracking(shared!);
    const fallback = new MemcachedStore<AppUser>(client, {
      prefix,
      clock,
      users: true,
      loadUser: (id) => ({ id, email: 'from the database' }),
    });
    const plain = new MemcachedStore(client, { prefix, clock });
    try {
      const record = makeRecord(clock.now(), { userId: 'u-1' });
      await store.setUser('u-1', { id: 'u-1', email: 'ada@example.com' });
      await store.create(record);
      assert.deepStrictEqual((await store.get(record.id))?.user, { id: 'u-1', email: 'ada@example.com' });
      await store.setUser('u-1', { id: 'u-1', email: 'ada@example.org' });
      assert.deepStrictEqual((await fallback.get(record.id))?.user, { id: 'u-1', email: 'ada@example.org' });

      await store.deleteUser('u-1');
      const orphan = await store.get(record.id);
      assertSameRecord(orphan?.session, record);
      assert.equal(orphan?.user, null);
      assert.deepStrictEqual((await fallback.get(record.id))?.user, {
        id: 'u-1',
        email: 'from the database',
      });
      assert.deepStrictEqual((await plain.get(record.id))?.user, { id: 'u-1' });
      await assert.rejects(plain.setUser('u-1', { id: 'u-1' }), TypeError);
      await assert.rejects(plain.deleteUser('u-1'), TypeError);

      // Through the session manager: a missing snapshot (and no loadUser) is user_not_found.
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
      await cleanUp();
      await close();
    }
  });

  test('a store whose memcached is down rejects within a bounded time, and validate gives store_unavailable', async () => {
    const port = await closedPort();
    const down = connect(`127.0.0.1:${port}`);
    try {
      const clock = new ManualClock();
      const store = new MemcachedStore(down, { prefix: newPrefix(), clock });
      const record = makeRecord(clock.now());
      const calls = [
        () => store.get(record.id),
        () => store.create(record),
        () => store.touch(record.id, { lastSeenAt: 1, expiresAt: 2, version: 1 }),
        () => store.replace(record.id, 1, record),
        () => store.delete(record.id),
      ];
      for (const call of calls) {
        const started = performance.now();
        await assert.rejects(call());
        assert.ok(performance.now() - started < 1500, 'bounded time');
      }
      const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
      await assert.rejects(manager.validate(await tokenFor(clock)), { code: 'store_unavailable' });
      await assert.rejects(manager.create('u-1'), { code: 'store_unavailable' });
    } finally {
      down.close();
    }
  });

  test('a silent server with the recommended options: memjs itself fails the request within its timeout', async () => {
    const silent = await silentServer();
    const { port } = silent;
    const client = connect(`127.0.0.1:${port}`, memcachedClientOptions({ timeoutMs: 200 }));
    try {
      const store = new MemcachedStore(client, { prefix: newPrefix(), timeoutMs: 5000 });
      const started = performance.now();
      await assert.rejects(store.get(randomId()), /timed out/);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1500, `gave up after ${Math.round(elapsed)} ms`);
    } finally {
      client.close();
      await silent.close();
    }
  });

  test('service comes back by itself when memcached does (through a proxy that is stopped and restarted)', async (t) => {
    const proxy = new TcpProxy(target);
    const port = await proxy.start(0);
    const client = connect(`127.0.0.1:${port}`);
    const { client: tracked, cleanUp } = tracking(client);
    try {
      const clock = new ManualClock();
      const store = new MemcachedStore(tracked, { prefix: newPrefix(), clock, timeoutMs: 500 });
      const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
      const issued = await manager.create('u-1');
      assert.equal((await manager.validate(issued.token)).valid, true);

      await proxy.stop();
      await assert.rejects(manager.validate(issued.token), { code: 'store_unavailable' });
      await assert.rejects(manager.revoke(issued.session.id), { code: 'store_unavailable' });

      await proxy.start(port);
      // Nothing was lost or signed out while memcached was away, and the client reconnects on its own. memjs
      // can leave the first request after an outage without a reply (see memcachedClientOptions): the store
      // then answers store_unavailable after timeoutMs, never anything else, and the next request works.
      const answers: string[] = [];
      for (let attempt = 0; attempt < 3 && answers.at(-1) !== 'valid'; attempt++) {
        try {
          answers.push((await manager.validate(issued.token)).valid ? 'valid' : 'invalid');
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'store_unavailable');
          answers.push('store_unavailable');
        }
      }
      t.diagnostic(`after the restart: ${answers.join(', ')}`);
      assert.equal(answers.at(-1), 'valid', answers.join(', '));
      await manager.revoke(issued.session.id);
      assert.deepStrictEqual(await manager.validate(issued.token), { valid: false, reason: 'not_found' });
    } finally {
      await cleanUp().catch(() => undefined);
      client.close();
      await proxy.stop();
    }
  });
});

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

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server, 0);
  await new Promise((resolve) => server.close(resolve));
  return port;
}
