// The near-cache over SQLite: CachedStore(SqliteStore) with SqliteInvalidator, on real files. Two
// connections to one file stand for two processes (SQLite's locking and visibility are per connection).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createSessionManager } from '../../src/session/manager.js';
import { CachedStore, SqliteInvalidator } from '../../src/stores/cached/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { CountingStore } from '../helpers/counting-store.js';
import { ObservedInvalidator } from '../helpers/observed-invalidator.js';
import { makeRecord, ManualClock, runStoreConformance } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'cloakroom-cached-sqlite-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;
const dbFile = (): string => join(dir, `sessions-${String(++files)}.db`);

/** One "process": its own connection to `file`, its SQLite store, and a near-cache in front of it. */
async function processOn(file: string, options: { pollMs?: number; clock?: ManualClock } = {}) {
  const db = new Database(file);
  const inner = new CountingStore(new SqliteStore(db));
  const observer = new ObservedInvalidator(new SqliteInvalidator(db, { pollMs: options.pollMs ?? 10 }));
  const store = await CachedStore.create(inner, {
    invalidator: observer,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  return {
    db,
    inner,
    observer,
    store,
    close: async () => {
      await store.close();
      db.close();
    },
  };
}

runStoreConformance('CachedStore(SqliteStore) with SqliteInvalidator', async (clock) => {
  const db = new Database(dbFile());
  const store = await CachedStore.create(new SqliteStore(db), {
    invalidator: new SqliteInvalidator(db, { pollMs: 10 }),
    clock,
  });
  return {
    store,
    close: async () => {
      await store.close();
      db.close();
    },
  };
});

describe('SqliteInvalidator', () => {
  test('refuses bad options', () => {
    const db = new Database(':memory:');
    for (const pollMs of [0, -1, Number.NaN]) {
      assert.throws(() => new SqliteInvalidator(db, { pollMs }), /pollMs must be a positive number/);
    }
    assert.throws(() => new SqliteInvalidator(db, { retainMs: 0 }), /retainMs must be a positive number/);
    assert.throws(() => new SqliteInvalidator(db, { table: 'x"; DROP TABLE y; --' }), TypeError);
    db.close();
  });

  // The mechanism is asserted (the eviction reaches A through the table, and A refuses the session); the
  // delay is printed, not bounded: under load a poll can come late, and that is a benchmark figure.
  test('a revocation on B reaches A through the table and A refuses it: 20 sign-outs (delay reported)', async () => {
    const file = dbFile();
    const a = await processOn(file);
    const b = await processOn(file);
    const origin = 'https://example.com';
    const managerA = createSessionManager({ store: a.store, origin, signed: false });
    const managerB = createSessionManager({ store: b.store, origin, signed: false });
    const delays: number[] = [];
    try {
      for (let trial = 0; trial < 20; trial++) {
        const issued = await managerB.create('ada', { userAgent: null, ip: null });
        assert.equal((await managerA.validate(issued.token)).valid, true);
        const reads = a.inner.gets;
        assert.equal((await managerA.validate(issued.token)).valid, true);
        assert.equal(a.inner.gets, reads, 'the second validation on A is served from memory');

        const evicted = a.observer.nextEviction(issued.session.id);
        await managerB.revoke(issued.session.id);
        const revokedAt = performance.now();
        await evicted;
        delays.push(performance.now() - revokedAt);
        const before = a.inner.gets;
        assert.equal(
          (await managerA.validate(issued.token)).valid,
          false,
          `trial ${String(trial)}: A refuses the session once evicted`,
        );
        assert.equal(a.inner.gets, before + 1, 'A asked the store: its cached copy was evicted');
      }
    } finally {
      await a.close();
      await b.close();
    }
    delays.sort((x, y) => x - y);
    const worst = delays[delays.length - 1] ?? Number.NaN;
    console.log(
      `# SQLite near-cache revocation delay across two connections (pollMs 10): median ${(delays[10] ?? 0).toFixed(1)} ms, worst ${worst.toFixed(1)} ms (20 trials)`,
    );
  });

  test('sign out everywhere on B drops all of that user on A, and only that user', async () => {
    const file = dbFile();
    const a = await processOn(file);
    const b = await processOn(file);
    const clock = new ManualClock();
    try {
      const mine = [1, 2].map(() => makeRecord(clock.now(), { userId: 'ada' }));
      const other = makeRecord(clock.now(), { userId: 'bob' });
      for (const record of [...mine, other]) await b.store.create(record);
      for (const record of [...mine, other]) assert.ok((await a.store.get(record.id)) !== null);
      assert.equal(await b.store.index!.deleteByUser('ada'), 2);
      await delay(60);
      const reads = a.inner.gets;
      for (const record of mine) assert.equal(await a.store.get(record.id), null);
      assert.ok((await a.store.get(other.id)) !== null);
      assert.equal(a.inner.gets, reads + 2, "ada's sessions read through, bob's still from memory");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a gap in the messages (pruned before A read them) drops everything A holds', async () => {
    const file = dbFile();
    const a = await processOn(file, { pollMs: 5 });
    const b = await processOn(file, { pollMs: 1_000_000 });
    try {
      const clock = new ManualClock();
      const record = makeRecord(clock.now());
      await b.store.create(record);
      await a.store.get(record.id);
      const reads = a.inner.gets;
      await a.store.get(record.id);
      assert.equal(a.inner.gets, reads, 'cached');

      // Two messages vanish before A reads them (as if pruned first), then a third names nothing A holds: A
      // must notice the gap and drop its cache. All of it runs before A's next poll (no timer in between).
      const invalidator = new SqliteInvalidator(b.db);
      const raw = b.db.prepare('DELETE FROM cloakroom_invalidations');
      await invalidator.publish({ origin: 'elsewhere', sessions: ['unrelated-1'], users: [], all: false });
      await invalidator.publish({ origin: 'elsewhere', sessions: ['unrelated-2'], users: [], all: false });
      raw.run();
      await invalidator.publish({ origin: 'elsewhere', sessions: ['unrelated-3'], users: [], all: false });
      await delay(60);
      await a.store.get(record.id);
      assert.equal(a.inner.gets, reads + 1, 'read through after the gap');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a poll that fails reports the subscription lost: the cache stops serving from memory', async () => {
    const file = dbFile();
    const db = new Database(file);
    const pollingDb = new Database(file);
    const store = await CachedStore.create(new SqliteStore(db), {
      invalidator: new SqliteInvalidator(pollingDb, { pollMs: 5 }),
    });
    try {
      assert.equal(store.serving, true);
      pollingDb.close(); // every later poll throws
      await delay(50);
      assert.equal(store.serving, false);
    } finally {
      await store.close();
      db.close();
    }
  });

  test('messages older than retainMs are pruned; ids are never reused', async () => {
    const db = new Database(':memory:');
    const clock = new ManualClock();
    const invalidator = new SqliteInvalidator(db, { pollMs: 5, retainMs: 1000, clock });
    const stop = await invalidator.subscribe(() => undefined);
    try {
      const message = { origin: 'o', sessions: ['s'], users: [], all: false };
      await invalidator.publish(message);
      await invalidator.publish(message);
      clock.advance(2000);
      await delay(30);
      const count = () => db.prepare('SELECT count(*) FROM cloakroom_invalidations').pluck(true).get();
      assert.equal(count(), 0, 'pruned');
      await invalidator.publish(message);
      const ids = db.prepare('SELECT id FROM cloakroom_invalidations').pluck(true).all();
      assert.deepEqual(ids, [3], 'the next id follows the pruned ones');
    } finally {
      await stop();
      db.close();
    }
  });
});
