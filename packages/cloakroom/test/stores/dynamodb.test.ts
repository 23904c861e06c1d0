// The DynamoDB store on dynalite, a local DynamoDB emulator from npm started in this process on a loopback
// port (test/helpers/dynalite.ts): the conformance suite, the table layout, the round trips each operation
// costs (counted, and the same as the table in docs/stores.md), and failures (a stopped emulator, throttling)
// answering store_unavailable in bounded time. Nothing here needs a service of the machine, so nothing skips.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { createSessionManager } from '../../src/session/manager.js';
import {
  createTable,
  DynamoDBStore,
  dynamoDBClientOptions,
  type DynamoDBSender,
  type DynamoDBStoreOptions,
} from '../../src/stores/dynamodb/index.js';
import type { SessionRecord, SessionUser } from '../../src/stores/types.js';
import { Dynalite } from '../helpers/dynalite.js';
import {
  assertSameRecord,
  HOUR,
  makeRecord,
  ManualClock,
  MINUTE,
  randomId,
  runStoreConformance,
} from './conformance.js';

const emulator = new Dynalite();
await emulator.start();
const client = new DynamoDBClient(emulator.clientConfig(dynamoDBClientOptions()));
after(async () => {
  client.destroy();
  await emulator.stop();
});

let tables = 0;
async function newTable(sender: DynamoDBSender = client): Promise<string> {
  const table = `cr-test-${randomId()}-${++tables}`;
  const result = await createTable(sender, { table });
  assert.deepStrictEqual(result, { created: true, ttl: 'unsupported' });
  return table;
}

async function dropTable(table: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: table }));
}

async function dynamoStore<U = SessionUser>(
  options: Partial<DynamoDBStoreOptions<U>> = {},
  sender: DynamoDBSender = client,
): Promise<{ store: DynamoDBStore<U>; table: string; close: () => Promise<void> }> {
  const table = await newTable();
  const store = new DynamoDBStore<U>(sender, { table, ...options });
  return { store, table, close: () => dropTable(table) };
}

runStoreConformance(
  'DynamoDBStore (dynalite)',
  async (clock) => {
    const { store, close, table } = await dynamoStore({ clock });
    // An item from before the attributes existed: the same item without them.
    const writeLegacy = async (record: SessionRecord): Promise<void> => {
      await store.create(record);
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: `s#${record.id}` } },
          UpdateExpression: 'REMOVE authTime, amr',
        }),
      );
    };
    return { store, close, writeLegacy };
  },
  {
    counter: false,
    silentServer: (port, clock, timeoutMs) => {
      // A client without limits of its own (no request timeout, many attempts): only the store's bound applies.
      const silent = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 10 });
      const store = new DynamoDBStore(silent, { table: 'cr-silent', clock, timeoutMs });
      return {
        store,
        close: () => {
          silent.destroy();
        },
      };
    },
  },
);

/** The client, counting the requests (round trips) per DynamoDB operation. */
function counting(inner: DynamoDBSender = client): {
  sender: DynamoDBSender;
  counts: Map<string, number>;
  take: () => Record<string, number>;
} {
  const counts = new Map<string, number>();
  const sender = {
    send: (command: { constructor: { name: string } }, options?: unknown) => {
      const name = command.constructor.name.replace(/Command$/, '');
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return (inner.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    },
  } as unknown as DynamoDBSender;
  const take = () => {
    const taken = Object.fromEntries(counts);
    counts.clear();
    return taken;
  };
  return { sender, counts, take };
}

const KEYS = [Buffer.alloc(32, 7)];

describe('DynamoDBStore', () => {
  test('rejects bad options', () => {
    for (const table of ['', 'ab', 'has space', 'x'.repeat(256)]) {
      assert.throws(() => new DynamoDBStore(client, { table }), TypeError);
    }
    for (const timeoutMs of [0, -1, Number.NaN]) {
      assert.throws(() => new DynamoDBStore(client, { table: 'sessions', timeoutMs }), TypeError);
    }
    assert.throws(() => new DynamoDBStore(client, { table: 'sessions', concurrency: 0 }), TypeError);
    assert.throws(() => dynamoDBClientOptions({ requestTimeoutMs: 0 }), TypeError);
    assert.throws(() => dynamoDBClientOptions({ maxAttempts: 0 }), TypeError);
    assert.deepStrictEqual(dynamoDBClientOptions({ requestTimeoutMs: 250 }), {
      maxAttempts: 2,
      requestHandler: { requestTimeout: 250, connectionTimeout: 1000 },
    });
  });

  test('createTable: the documented layout, idempotent, and a clear error on another layout', async () => {
    const table = await newTable();
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      assert.deepStrictEqual(Table?.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }]);
      const index = Table?.GlobalSecondaryIndexes?.[0];
      assert.equal(index?.IndexName, 'byUser');
      assert.deepStrictEqual(index?.KeySchema, [{ AttributeName: 'userId', KeyType: 'HASH' }]);
      assert.equal(index?.Projection?.ProjectionType, 'KEYS_ONLY');
      assert.equal(Table?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
      // Again: nothing to do.
      assert.deepStrictEqual(await createTable(client, { table }), { created: false, ttl: 'unsupported' });
      // Another layout under the same name (an index of another name) is refused, not used.
      await assert.rejects(createTable(client, { table, indexName: 'other' }), /another layout/);
    } finally {
      await dropTable(table);
    }
  });

  test('one item per session under pk s#<id>, readable attributes, TTL in seconds; users apart', async () => {
    const clock = new ManualClock();
    const { store, table, close } = await dynamoStore<{ id: string; name: string }>({ clock, users: true });
    try {
      const record = makeRecord(clock.now(), { expiresAt: clock.now() + HOUR + 1 });
      await store.create(record);
      const { Item } = await client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: `s#${record.id}` } } }),
      );
      assert.ok(Item !== undefined);
      assert.deepStrictEqual(Object.keys(Item).sort(), [
        'absoluteExpiresAt',
        'amr',
        'authTime',
        'createdAt',
        'expiresAt',
        'ip',
        'lastSeenAt',
        'pk',
        'secretHash',
        'ttl',
        'userAgent',
        'userId',
        'version',
      ]);
      assert.equal(Item.ttl?.N, String(Math.ceil(record.expiresAt / 1000)));
      assert.deepStrictEqual(Buffer.from(Item.secretHash?.B ?? []), Buffer.from(record.secretHash));
      // '' and null stay apart.
      const blank = makeRecord(clock.now(), { userAgent: '', ip: null });
      await store.create(blank);
      assertSameRecord((await store.get(blank.id))?.session, blank);
      // Snapshots: a user item, no index entry, returned with the session.
      assert.deepStrictEqual((await store.get(record.id))?.user, null);
      await store.setUser(record.userId, { id: record.userId, name: 'Ada' });
      assert.deepStrictEqual((await store.get(record.id))?.user, { id: record.userId, name: 'Ada' });
      assert.deepStrictEqual(
        (await store.listByUser(record.userId)).map((s) => s.id),
        [record.id],
      );
      await store.deleteUser(record.userId);
      assert.equal((await store.get(record.id))?.user, null);
      await assert.rejects(new DynamoDBStore(client, { table }).setUser('u', { id: 'u' }), TypeError);
    } finally {
      await close();
    }
  });

  test('round trips per operation, counted: the table in docs/stores.md', async () => {
    const { sender, take } = counting();
    const clock = new ManualClock();
    const { store, close } = await dynamoStore({ clock }, sender);
    try {
      take(); // (nothing yet: the table was made through the plain client)
      const record = makeRecord(clock.now(), { userId: 'u-rt' });
      await store.create(record);
      assert.deepStrictEqual(take(), { PutItem: 1 });
      await store.get(record.id);
      assert.deepStrictEqual(take(), { GetItem: 1 });
      const now = clock.advance(MINUTE);
      assert.equal(
        await store.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }),
        true,
      );
      assert.deepStrictEqual(take(), { UpdateItem: 1 });
      const next = makeRecord(now, { userId: 'u-rt' });
      assert.equal(await store.replace(record.id, 2, next), true);
      assert.deepStrictEqual(take(), { PutItem: 1, DeleteItem: 1 });
      const other = makeRecord(now, { userId: 'u-rt' });
      await store.create(other);
      take();
      assert.equal((await store.listByUser('u-rt')).length, 2);
      assert.deepStrictEqual(take(), { Query: 1, BatchGetItem: 1 });
      assert.equal(await store.deleteByUser('u-rt', { except: next.id }), 1);
      assert.deepStrictEqual(take(), { Query: 1, DeleteItem: 1 });
      await store.delete(next.id);
      assert.deepStrictEqual(take(), { DeleteItem: 1 });

      // Through the session manager: a validation is one GetItem; a renewal adds one UpdateItem.
      const manager = createSessionManager({
        store,
        origin: 'https://app.example',
        keys: KEYS,
        clock,
        idleTimeoutSeconds: 3600,
        touchIntervalSeconds: 60,
      });
      const issued = await manager.create('u-rt');
      assert.deepStrictEqual(take(), { PutItem: 1 });
      assert.ok((await manager.validate(issued.token)).valid);
      assert.deepStrictEqual(take(), { GetItem: 1 });
      clock.advance(2 * MINUTE);
      assert.ok((await manager.validate(issued.token)).valid);
      assert.deepStrictEqual(take(), { GetItem: 1, UpdateItem: 1 });
      // A forged cookie costs no round trip at all.
      assert.equal((await manager.validate(`${issued.token.slice(0, -2)}AA`)).valid, false);
      assert.deepStrictEqual(take(), {});
    } finally {
      await close();
    }
  });

  test('with user snapshots a validation is two GetItems (session, then its user)', async () => {
    const { sender, take } = counting();
    const clock = new ManualClock();
    const { store, close } = await dynamoStore<{ id: string }>({ clock, users: true }, sender);
    try {
      const record = makeRecord(clock.now());
      await store.create(record);
      await store.setUser(record.userId, { id: record.userId });
      take();
      assert.deepStrictEqual((await store.get(record.id))?.user, { id: record.userId });
      assert.deepStrictEqual(take(), { GetItem: 2 });
    } finally {
      await close();
    }
  });

  test('deleteByUser and listByUser page through many sessions (BatchGetItem takes 100 keys at most)', async () => {
    const clock = new ManualClock();
    const { store, close } = await dynamoStore({ clock, concurrency: 8 });
    try {
      const records = Array.from({ length: 130 }, () => makeRecord(clock.now(), { userId: 'many' }));
      for (const record of records) await store.create(record);
      assert.equal((await store.listByUser('many')).length, 130);
      assert.equal(await store.deleteByUser('many', { except: records[0]?.id }), 129);
      assert.deepStrictEqual(
        (await store.listByUser('many')).map((s) => s.id),
        [records[0]?.id],
      );
    } finally {
      await close();
    }
  });
});

describe('DynamoDBStore failures', () => {
  test('the emulator stopped mid-run: store_unavailable within the bound, never a sign-out; back when it is', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'cr-dynalite-'));
    const durable = new Dynalite({ path: folder });
    await durable.start();
    const own = new DynamoDBClient(durable.clientConfig(dynamoDBClientOptions({ requestTimeoutMs: 300 })));
    try {
      const table = await newTable(own);
      const clock = new ManualClock();
      const store = new DynamoDBStore(own, { table, clock, timeoutMs: 1000 });
      const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
      const issued = await manager.create('u-fault');
      assert.ok((await manager.validate(issued.token)).valid);

      await durable.stop();
      for (const operation of [
        () => manager.validate(issued.token),
        () => manager.create('u-fault'),
        () => manager.revoke(issued.session.id),
        () => manager.revokeUserSessions('u-fault'),
      ]) {
        const started = performance.now();
        await assert.rejects(operation(), { code: 'store_unavailable' });
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 1500, `gave up after ${Math.round(elapsed)} ms`);
      }

      await durable.start();
      // The session was never lost: it validates again once the emulator is back.
      let result;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          result = await manager.validate(issued.token);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      assert.ok(result?.valid, 'the session validates after the emulator came back');
    } finally {
      own.destroy();
      await durable.stop();
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('throttling (ProvisionedThroughputExceededException): bounded retries, then store_unavailable', async () => {
    // A DynamoDB endpoint that throttles every request, counting them.
    let requests = 0;
    const throttling: Server = createServer((socket) => {
      socket.on('data', () => {
        requests++;
        const body = JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'The level of configured provisioned throughput for the table was exceeded.',
        });
        socket.write(
          'HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\n' +
            `x-amzn-RequestId: test\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => throttling.listen(0, '127.0.0.1', resolve));
    const port = (throttling.address() as AddressInfo).port;
    const own = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, ...dynamoDBClientOptions() });
    try {
      const clock = new ManualClock();
      const store = new DynamoDBStore(own, { table: 'cr-throttled', clock, timeoutMs: 3000 });
      const manager = createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
      const token = (
        await createSessionManager({
          store: new DynamoDBStore(client, { table: await newTable(), clock }),
          origin: 'https://app.example',
          keys: KEYS,
          clock,
        }).create('u-1')
      ).token;
      const started = performance.now();
      await assert.rejects(manager.validate(token), (error: Error & { code?: string; cause?: unknown }) => {
        assert.equal(error.code, 'store_unavailable');
        assert.equal((error.cause as Error).name, 'ProvisionedThroughputExceededException');
        return true;
      });
      const elapsed = performance.now() - started;
      assert.equal(requests, 2, 'maxAttempts 2: one request and one retry');
      assert.ok(elapsed < 3000, `gave up after ${Math.round(elapsed)} ms`);
    } finally {
      own.destroy();
      await new Promise((resolve) => throttling.close(resolve));
    }
  });
});
