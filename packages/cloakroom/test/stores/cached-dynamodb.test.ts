// The near-cache in front of the DynamoDB store. DynamoDB has no pub/sub, so revocations reach the other
// processes over another channel: PostgreSQL LISTEN/NOTIFY here (Redis pub/sub works the same way), within
// the transport's latency; or, with no channel at all, only when a cached entry ages out (`ttlMs`), which is
// then the worst-case revocation delay on every other process. Two "processes" are two caches, each with its
// own DynamoDB store, client and invalidator, over one dynalite (a local DynamoDB emulator) table.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSessionManager } from '../../src/session/manager.js';
import {
  CachedStore,
  LocalInvalidator,
  PostgresInvalidator,
  type Invalidator,
} from '../../src/stores/cached/index.js';
import { createTable, DynamoDBStore, dynamoDBClientOptions } from '../../src/stores/dynamodb/index.js';
import { CountingStore } from '../helpers/counting-store.js';
import { Dynalite } from '../helpers/dynalite.js';
import { ObservedInvalidator } from '../helpers/observed-invalidator.js';
import { ManualClock, SECOND } from './conformance.js';
import { describePostgres, testPool } from './postgres-support.js';

const emulator = new Dynalite();
await emulator.start();
const admin = new DynamoDBClient(emulator.clientConfig());
const table = `cr-test-cached-${randomBytes(4).toString('hex')}`;
await createTable(admin, { table });
after(async () => {
  admin.destroy();
  await emulator.stop();
});

const KEYS = [randomBytes(32)];

/** One "process": its own DynamoDB client and store, counted, behind its own near-cache. */
async function processWith(invalidator: Invalidator, clock: ManualClock, ttlMs?: number) {
  const client = new DynamoDBClient(emulator.clientConfig(dynamoDBClientOptions()));
  const inner = new CountingStore(new DynamoDBStore(client, { table, clock }));
  const store = await CachedStore.create(inner, {
    invalidator,
    clock,
    ...(ttlMs === undefined ? {} : { ttlMs }),
  });
  const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
  return {
    inner,
    store,
    manager,
    close: async () => {
      await store.close();
      client.destroy();
    },
  };
}

describePostgres('near-cache on DynamoDB, evicted over PostgreSQL LISTEN/NOTIFY', () => {
  test('a revocation on B reaches A at once (one session, then all of a user)', async () => {
    const channel = `cr_test_${randomBytes(6).toString('hex')}`;
    const pools = [testPool({ max: 2 }), testPool({ max: 2 })];
    const clock = new ManualClock();
    const observed = pools.map((pool) => new ObservedInvalidator(new PostgresInvalidator(pool, { channel })));
    const a = await processWith(observed[0]!, clock);
    const b = await processWith(observed[1]!, clock);
    try {
      const one = await b.manager.create('dora');
      const two = await b.manager.create('dora');
      for (const issued of [one, two]) assert.ok((await a.manager.validate(issued.token)).valid);
      const gets = a.inner.gets;
      for (const issued of [one, two]) assert.ok((await a.manager.validate(issued.token)).valid);
      assert.equal(a.inner.gets, gets, 'A served both from memory: no GetItem');

      const evicted = observed[0]!.nextEviction(one.session.id);
      await b.manager.revoke(one.session.id);
      await evicted;
      assert.equal((await a.manager.validate(one.token)).valid, false);

      // Sign-out everywhere publishes the user, not each session: A drops every entry of that user.
      assert.equal(await b.manager.revokeUserSessions('dora'), 1);
      const until = performance.now() + 5000;
      while ((await a.manager.validate(two.token)).valid) {
        assert.ok(performance.now() < until, 'the user eviction reached A within 5 s');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await a.close();
      await b.close();
      for (const pool of pools) await pool.end();
    }
  });
});

test('near-cache on DynamoDB without a channel: other processes see a revocation once the entry is ttlMs old', async () => {
  const clock = new ManualClock();
  const ttlMs = 5 * SECOND;
  const a = await processWith(new LocalInvalidator(), clock, ttlMs);
  const b = await processWith(new LocalInvalidator(), clock, ttlMs);
  try {
    const issued = await b.manager.create('eve');
    assert.ok((await a.manager.validate(issued.token)).valid);
    await b.manager.revoke(issued.session.id);
    // B, which revoked, refuses at once; A still serves its copy: the delay this setup accepts.
    assert.equal((await b.manager.validate(issued.token)).valid, false);
    clock.advance(ttlMs);
    assert.ok((await a.manager.validate(issued.token)).valid, 'up to ttlMs A may still accept it');
    clock.advance(1);
    assert.equal((await a.manager.validate(issued.token)).valid, false, 'past ttlMs A reads DynamoDB again');
  } finally {
    await a.close();
    await b.close();
  }
});
