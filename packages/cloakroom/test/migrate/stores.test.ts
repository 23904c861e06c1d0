// The migration stores: a claim is won once until it expires, counters add up, and two store instances over
// the same SQLite file or the same Redis (two processes of a site) see each other's claims and counters.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { MemoryMigrationStore, type MigrationStore } from '../../src/migrate/index.js';
import { RedisMigrationStore } from '../../src/migrate/stores/redis.js';
import { SqliteMigrationStore } from '../../src/migrate/stores/sqlite.js';
import { PostgresMigrationStore } from '../../src/migrate/stores/postgres.js';
import { describePostgres, freshSchema, testPool } from '../stores/postgres-support.js';

const NOW = Date.now();

async function conformance(first: MigrationStore, second: MigrationStore): Promise<void> {
  const key = `jwt:${randomUUID()}`;
  assert.equal(await first.claim(key, NOW + 60_000, NOW), true);
  assert.equal(await second.claim(key, NOW + 60_000, NOW), false, 'the other process sees the claim');
  assert.equal(await first.claim(key, NOW + 60_000, NOW + 1000), false);
  // Of many concurrent claims of one key, exactly one wins.
  const racing = `jwt:${randomUUID()}`;
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? first : second).claim(racing, NOW + 60_000, NOW)),
  );
  assert.equal(results.filter(Boolean).length, 1);
  await first.increment('exchanged.jwt');
  await second.increment('exchanged.jwt');
  await second.increment('refused.jwt.expired');
  const counters = await first.counters();
  assert.equal(counters['exchanged.jwt'], 2);
  assert.equal(counters['refused.jwt.expired'], 1);
}

describe('migration stores', () => {
  test('memory', async () => {
    const store = new MemoryMigrationStore();
    await conformance(store, store);
    const key = 'k';
    assert.equal(await store.claim(key, NOW + 10, NOW), true);
    assert.equal(await store.claim(key, NOW + 100, NOW + 10), true, 'an expired claim can be taken again');
  });

  test('SQLite: two connections to one file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloakroom-migrate-store-'));
    const a = new Database(join(dir, 'db.sqlite'));
    const b = new Database(join(dir, 'db.sqlite'));
    try {
      a.pragma('journal_mode = WAL');
      b.pragma('busy_timeout = 5000');
      const first = new SqliteMigrationStore(a);
      await conformance(first, new SqliteMigrationStore(b));
      assert.equal(await first.claim('old', NOW + 10, NOW), true);
      assert.equal(
        await first.claim('old', NOW + 100, NOW + 10),
        true,
        'an expired claim can be taken again',
      );
      assert.equal(await first.sweep(NOW + 1_000_000), 3, 'the three claims made here');
    } finally {
      a.close();
      b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('Redis: two clients', () => {
    const prefix = `migrate-store-test:${randomUUID()}:`;
    const a = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    const b = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    after(async () => {
      const keys = await a.keys(`${prefix}*`);
      if (keys.length > 0) await a.del(keys);
      a.disconnect();
      b.disconnect();
    });

    test('claims and counters are shared; a claim expires with its credential', async () => {
      await a.connect();
      await b.connect();
      const first = new RedisMigrationStore(a, { prefix });
      await conformance(first, new RedisMigrationStore(b, { prefix }));
      assert.equal(await first.claim('short', Date.now() + 50, Date.now()), true);
      assert.ok((await a.pttl(`${prefix}claim:short`)) <= 50);
    });
  });
});

describePostgres('migration store: PostgreSQL, two pools', () => {
  test('claims and counters are shared; an expired claim can be taken again', async () => {
    const a = testPool();
    const b = testPool();
    const schema = await freshSchema(a);
    try {
      const first = await PostgresMigrationStore.create(a, { schema: schema.name });
      // A second process starting later finds the tables made (the migration is recorded).
      const second = await PostgresMigrationStore.create(b, { schema: schema.name });
      await conformance(first, second);
      assert.equal(await first.claim('old', NOW + 10, NOW), true);
      assert.equal(await second.claim('old', NOW + 100, NOW + 10), true);
      assert.equal(await first.sweep(NOW + 1_000_000), 3);
    } finally {
      await schema.drop();
      await a.end();
      await b.end();
    }
  });
});
