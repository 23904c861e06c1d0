// The Redis store on Valkey (scripts/start-valkey.sh starts Debian's valkey-server, from bookworm-backports,
// on 127.0.0.1:6390; VALKEY_URL overrides). The whole conformance suite, and the session manager end to end.
// Each store gets its own key prefix and removes its keys afterwards. Without a reachable Valkey the file is
// skipped with a message, except on CI, where it fails.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createSessionManager } from '../../src/session/manager.js';
import { RedisStore, redisClientOptions } from '../../src/stores/redis/index.js';
import { ManualClock, MINUTE, runStoreConformance } from './conformance.js';

const url = new URL(process.env.VALKEY_URL ?? 'redis://127.0.0.1:6390');
const runId = randomBytes(6).toString('base64url');
let stores = 0;

function connect(): Redis {
  return new Redis({
    host: url.hostname,
    port: Number(url.port || 6390),
    ...redisClientOptions(),
    lazyConnect: true,
  });
}

async function open(): Promise<{ client: Redis; server: string } | string> {
  const client = connect();
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = await client.info('server');
    const version = /^valkey_version:(\S+)/m.exec(info)?.[1];
    if (version === undefined) {
      client.disconnect();
      return `the server at ${url.host} is not Valkey`;
    }
    return { client, server: version };
  } catch (error) {
    client.disconnect();
    return error instanceof Error ? error.message : String(error);
  }
}

const opened = await open();
if (typeof opened === 'string' && process.env.CI === 'true') {
  throw new Error(`Valkey at ${url.host} is not reachable on CI: ${opened}`);
}
const skip =
  typeof opened === 'string'
    ? `no Valkey at ${url.host} (${opened}); run scripts/start-valkey.sh or set VALKEY_URL`
    : false;
if (skip !== false) console.warn(`# SKIPPED test/stores/valkey.test.ts: ${skip}`);
const shared = typeof opened === 'string' ? null : opened.client;
after(() => {
  shared?.disconnect();
});

async function cleanUp(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

function valkeyStore(clock: ManualClock): { store: RedisStore; close: () => Promise<void> } {
  const prefix = `cr-test-valkey:${runId}:${++stores}:`;
  return { store: new RedisStore(shared!, { prefix, clock }), close: () => cleanUp(shared!, prefix) };
}

if (shared !== null) {
  runStoreConformance(`RedisStore on Valkey ${typeof opened === 'string' ? '' : opened.server}`, (clock) =>
    Promise.resolve(valkeyStore(clock as ManualClock)),
  );
}

describe('RedisStore on Valkey', { skip }, () => {
  test('the session manager end to end: create, validate, renew, rotate, revoke-all', async () => {
    const clock = new ManualClock();
    const { store, close } = valkeyStore(clock);
    try {
      const manager = createSessionManager({
        store,
        origin: 'https://app.example',
        keys: [randomBytes(32)],
        clock,
        touchIntervalSeconds: 60,
      });
      const a = await manager.create('ada', { userAgent: 'TestAgent/1.0', ip: '192.0.2.1' });
      const b = await manager.create('ada');
      clock.advance(2 * MINUTE);
      const renewed = await manager.validate(a.token);
      assert.ok(renewed.valid);
      assert.equal(renewed.session.lastSeenAt, clock.now());
      const rotated = await manager.rotate(renewed.session);
      assert.ok(rotated !== null);
      assert.deepStrictEqual(await manager.validate(a.token), { valid: false, reason: 'not_found' });
      assert.equal(await manager.revokeUserSessions('ada', { except: rotated.session.id }), 1);
      assert.deepStrictEqual(await manager.validate(b.token), { valid: false, reason: 'not_found' });
      assert.equal((await manager.validate(rotated.token)).valid, true);
    } finally {
      await close();
    }
  });
});
