// One conformance suite for the federation state stores (pre-login records, logout token ids, provider
// sessions), run against memory, SQLite, PostgreSQL and Redis. Redis expires keys on its own clock, so the
// cases that move time forward run on the stores that take `now`; Redis is checked for its key lifetimes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type pg from 'pg';
import {
  MemoryFederationStateStore,
  PostgresFederationStateStore,
  RedisFederationStateStore,
  SqliteFederationStateStore,
  type FederationStateStore,
} from '../../src/federation/index.js';
import { redisClientOptions } from '../../src/lib/redis/client.js';
import { describePostgres, freshSchema, testPool } from '../stores/postgres-support.js';

const key = () => randomBytes(9).toString('base64url');

function conformance(name: string, make: () => FederationStateStore, options: { ownClock: boolean }): void {
  describe(`federation state store: ${name}`, () => {
    test('add then take returns the value once', async () => {
      const store = make();
      const k = key();
      const now = Date.now();
      assert.equal(await store.add(k, 'v1', now + 60_000, now), true);
      assert.equal(await store.take(k, now), 'v1');
      assert.equal(await store.take(k, now), null);
    });

    test('add refuses a key that holds a live entry and keeps the first value', async () => {
      const store = make();
      const k = key();
      const now = Date.now();
      assert.equal(await store.add(k, 'first', now + 60_000, now), true);
      assert.equal(await store.add(k, 'second', now + 60_000, now), false);
      assert.equal(await store.take(k, now), 'first');
    });

    test('put replaces an entry', async () => {
      const store = make();
      const k = key();
      const now = Date.now();
      await store.put(k, 'a', now + 60_000, now);
      await store.put(k, 'b', now + 60_000, now);
      assert.equal(await store.take(k, now), 'b');
    });

    test('an unknown key takes as null', async () => {
      assert.equal(await make().take(key(), Date.now()), null);
    });

    test('of ten concurrent takes of one key, exactly one gets the value', async () => {
      const store = make();
      const k = key();
      const now = Date.now();
      await store.add(k, 'once', now + 60_000, now);
      const results = await Promise.all(Array.from({ length: 10 }, () => store.take(k, now)));
      assert.deepEqual(
        results.filter((r) => r !== null),
        ['once'],
      );
    });

    test('of ten concurrent adds of one key, exactly one wins', async () => {
      const store = make();
      const k = key();
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.add(k, `v${i}`, now + 60_000, now)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('a set: every member added is taken once, and the set is then empty', async () => {
      const store = make();
      const k = key();
      const now = Date.now();
      for (const member of ['s1', 's2', 's3', 's2']) await store.addMember(k, member, now + 60_000, now);
      assert.deepEqual((await store.takeMembers(k, now)).sort(), ['s1', 's2', 's3']);
      assert.deepEqual(await store.takeMembers(k, now), []);
      assert.deepEqual(await store.takeMembers(key(), now), [], 'an unknown set is empty');
    });

    test('sets and single entries are apart: one key can hold both', async () => {
      const store = make();
      const k = key();
      const now = Date.now();
      await store.put(k, 'value', now + 60_000, now);
      await store.addMember(k, 'member', now + 60_000, now);
      assert.equal(await store.take(k, now), 'value');
      assert.deepEqual(await store.takeMembers(k, now), ['member']);
    });

    test('of ten concurrent takes of one set, each member goes to one taker', async () => {
      const store = make();
      const k = key();
      const now = Date.now();
      await Promise.all(['a', 'b', 'c'].map((m) => store.addMember(k, m, now + 60_000, now)));
      const results = await Promise.all(Array.from({ length: 10 }, () => store.takeMembers(k, now)));
      assert.deepEqual(results.flat().sort(), ['a', 'b', 'c']);
    });

    if (options.ownClock) {
      test('set members expire one by one; adding again keeps the later expiry; expired ones are swept', async () => {
        const store = make();
        const now = 1_000_000;
        const k = key();
        await store.addMember(k, 'short', now + 10, now);
        await store.addMember(k, 'long', now + 100, now);
        await store.addMember(k, 'long', now + 50, now); // an earlier expiry does not shorten it
        assert.deepEqual(await store.takeMembers(k, now + 60), ['long']);
        const swept = key();
        await store.addMember(swept, 'gone', now + 10, now);
        await store.addMember(swept, 'kept', now + 100, now);
        assert.ok((await store.deleteExpired(now + 10)) >= 1);
        assert.deepEqual(await store.takeMembers(swept, now), ['kept'], 'only the expired member was swept');
      });

      test('an expired entry is not taken, can be added over, and is swept', async () => {
        const store = make();
        const now = 1_000_000;
        const [a, b] = [key(), key()];
        await store.add(a, 'old', now + 10, now);
        assert.equal(await store.take(a, now + 10), null, 'expired at its expiry');
        await store.add(b, 'old', now + 10, now);
        assert.equal(await store.add(b, 'new', now + 100, now + 20), true, 'an expired key can be reused');
        assert.equal(await store.take(b, now + 20), 'new');
        const c = key();
        await store.add(c, 'x', now + 10, now);
        assert.ok((await store.deleteExpired(now + 10)) >= 1);
        assert.equal(await store.take(c, now), null, 'swept');
      });
    }
  });
}

conformance('memory', () => new MemoryFederationStateStore(), { ownClock: true });

const sqlite = new Database(':memory:');
conformance('SQLite', () => new SqliteFederationStateStore(sqlite), { ownClock: true });

describePostgres('federation state store: PostgreSQL', () => {
  let pool: pg.Pool;
  let schema: { name: string; drop: () => Promise<void> };
  let store: PostgresFederationStateStore;
  before(async () => {
    pool = testPool();
    schema = await freshSchema(pool);
    store = await PostgresFederationStateStore.create(pool, { schema: schema.name });
    // Migrating twice is a no-op.
    await PostgresFederationStateStore.create(pool, { schema: schema.name });
  });
  test('an existing table from version 1 gets the sets table and keeps its entries', async () => {
    const old = await freshSchema(pool);
    try {
      await pool.query(`CREATE TABLE "${old.name}".cloakroom_federation_state
        (key text PRIMARY KEY, value text NOT NULL, expires_at bigint NOT NULL)`);
      const now = Date.now();
      await pool.query(`INSERT INTO "${old.name}".cloakroom_federation_state VALUES ('k', 'v', $1)`, [
        now + 60_000,
      ]);
      await pool.query(`CREATE TABLE "${old.name}".cloakroom_migrations
        (component text NOT NULL, version integer NOT NULL, description text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`);
      await pool.query(
        `INSERT INTO "${old.name}".cloakroom_migrations (component, version, description)
         VALUES ('federation-state', 1, 'v1')`,
      );
      const upgraded = await PostgresFederationStateStore.create(pool, { schema: old.name });
      assert.equal(await upgraded.take('k', now), 'v');
      await upgraded.addMember('sid', 'session', now + 60_000, now);
      assert.deepEqual(await upgraded.takeMembers('sid', now), ['session']);
    } finally {
      await old.drop();
    }
  });
  after(async () => {
    await schema.drop();
    await pool.end();
  });
  conformance('PostgreSQL', () => store, { ownClock: true });
});

const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `cr-test-federation-${randomBytes(6).toString('base64url')}:`;
const redis = new Redis({
  host: redisUrl.hostname,
  port: Number(redisUrl.port || 6379),
  ...redisClientOptions(),
  lazyConnect: true,
});
const redisProblem = await redis
  .connect()
  .then(() => null)
  .catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
if (redisProblem !== null) {
  if (process.env.CI === 'true') throw new Error(`Redis is not reachable on CI: ${redisProblem}`);
  console.warn(`# SKIPPED federation state store on Redis: ${redisProblem}`);
  redis.disconnect();
} else {
  after(async () => {
    const keys = await redis.keys(`${prefix}*`); // this run's own keys only
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  conformance('Redis', () => new RedisFederationStateStore(redis, { prefix }), { ownClock: false });
  test('federation state store: Redis keys expire with their entry', async () => {
    const store = new RedisFederationStateStore(redis, { prefix });
    const k = key();
    const now = Date.now();
    await store.add(k, 'v', now + 60_000, now);
    const ttl = await redis.pttl(`${prefix}f:${k}`);
    assert.ok(ttl > 55_000 && ttl <= 60_000, `ttl ${ttl}`);
  });
  test('federation state store: a Redis set lives as long as its longest-lived member', async () => {
    const store = new RedisFederationStateStore(redis, { prefix });
    const k = key();
    const now = Date.now();
    await store.addMember(k, 'long', now + 60_000, now);
    await store.addMember(k, 'short', now + 10_000, now);
    const ttl = await redis.pttl(`${prefix}fs:${k}`);
    assert.ok(ttl > 55_000 && ttl <= 60_000, `ttl ${ttl}`);
  });
}
