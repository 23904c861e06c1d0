// The Redis attempt store against the real Redis (REDIS_URL, default 127.0.0.1:6379). Without a reachable
// Redis the file is skipped with a message, except on CI, where it fails.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Accounts } from '../../src/accounts/accounts.js';
import { PasswordHasher } from '../../src/accounts/password-hash.js';
import { MemoryAttemptStore, MemoryUserStore } from '../../src/accounts/stores/memory.js';
import { RedisAttemptStore } from '../../src/accounts/stores/redis.js';
import type { AttemptStore } from '../../src/accounts/types.js';
import { createSessionManager, loadRequestSession, MemoryStore, type RequestInfo } from '../../src/index.js';
import { redisClientOptions } from '../../src/lib/redis/client.js';

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `cr-test-attempts-${randomBytes(6).toString('base64url')}:`;

async function connect(): Promise<Redis | string> {
  const client = new Redis({
    host: url.hostname,
    port: Number(url.port || 6379),
    ...redisClientOptions(),
    lazyConnect: true,
  });
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    return error instanceof Error ? error.message : String(error);
  }
}

const connected = await connect();
if (typeof connected === 'string' && process.env.CI === 'true') {
  throw new Error(`Redis at ${url.host} is not reachable on CI: ${connected}`);
}
const skip = typeof connected === 'string' ? `no Redis at ${url.host} (${connected})` : false;
if (skip !== false) console.warn(`# SKIPPED test/accounts/redis-attempts.test.ts: ${skip}`);
const client = typeof connected === 'string' ? null : connected;

after(async () => {
  if (client === null) return;
  const keys = await client.keys(`${prefix}*`); // test clean-up of this run's own keys only
  if (keys.length > 0) await client.del(...keys);
  client.disconnect();
});

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

describe('RedisAttemptStore', { skip }, () => {
  const store = () => new RedisAttemptStore(client!, { prefix });
  const key = () => randomBytes(8).toString('base64url');

  test('an unknown key has no record', async () => {
    assert.equal(await store().get(key()), null);
  });

  test('counts failures in a window and restarts the window when it has ended', async () => {
    const attempts = store();
    const k = key();
    assert.deepEqual(await attempts.recordFailure(k, T0, HOUR), {
      failures: 1,
      windowStartedAt: T0,
      lastFailureAt: T0,
    });
    assert.deepEqual(await attempts.recordFailure(k, T0 + 1000, HOUR), {
      failures: 2,
      windowStartedAt: T0,
      lastFailureAt: T0 + 1000,
    });
    assert.deepEqual(await attempts.get(k), { failures: 2, windowStartedAt: T0, lastFailureAt: T0 + 1000 });
    assert.deepEqual(await attempts.recordFailure(k, T0 + HOUR, HOUR), {
      failures: 1,
      windowStartedAt: T0 + HOUR,
      lastFailureAt: T0 + HOUR,
    });
  });

  test('behaves exactly like the memory store on the same sequence', async () => {
    const redis = store();
    const memory = new MemoryAttemptStore();
    const k = key();
    const times = [0, 10, 500, HOUR - 1, HOUR, HOUR + 5, 3 * HOUR].map((t) => T0 + t);
    for (const now of times) {
      assert.deepEqual(
        await redis.recordFailure(k, now, HOUR),
        await memory.recordFailure(k, now, HOUR),
        `at ${now}`,
      );
    }
  });

  test('forgiveFailure behaves exactly like the memory store', async () => {
    const redis = store();
    const memory = new MemoryAttemptStore();
    const k = key();
    const steps: [string, number][] = [
      ['forgive', 0],
      ['record', 1],
      ['record', 2],
      ['forgive', 3],
      ['forgive', 4],
      ['forgive', 5],
      ['record', 6],
      ['forgive', HOUR],
    ];
    for (const [step, t] of steps) {
      for (const attempts of [redis, memory]) {
        if (step === 'record') await attempts.recordFailure(k, T0 + t, HOUR);
        else await attempts.forgiveFailure(k, T0 + t, HOUR);
      }
      assert.deepEqual(await redis.get(k), await memory.get(k), `after ${step} at ${t}`);
    }
  });

  test('counts concurrent failures atomically: none is lost', async () => {
    const attempts = store();
    const k = key();
    await Promise.all(Array.from({ length: 200 }, () => attempts.recordFailure(k, T0, HOUR)));
    assert.equal((await attempts.get(k))?.failures, 200);
  });

  test('a key expires with its window, and clear removes it', async () => {
    const attempts = store();
    const k = key();
    const now = Date.now();
    await attempts.recordFailure(k, now, 60_000);
    const ttl = await client!.pttl(`${prefix}a:${k}`);
    assert.ok(ttl > 55_000 && ttl <= 60_000, `ttl ${ttl}`);
    await attempts.clear(k);
    assert.equal(await attempts.get(k), null);
    assert.equal(await attempts.deleteExpired(now), 0);
  });

  test('holds the throttle across two Accounts instances (two processes) sharing one Redis', async () => {
    const origin = 'https://example.com';
    const info: RequestInfo = {
      method: 'POST',
      cookie: null,
      origin,
      secFetchSite: 'same-origin',
      userAgent: 't',
      ip: '192.0.2.7',
    };
    const users = new MemoryUserStore();
    const rule = { limit: 3, windowSeconds: 3600, freeFailures: 10, maxDelaySeconds: 1 };
    const make = (attempts: AttemptStore) => {
      const sessions = createSessionManager({ store: new MemoryStore(), origin, keys: ['r'.repeat(32)] });
      const accounts = new Accounts({
        users,
        attempts,
        sessions,
        hasher: new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }),
        throttle: { account: rule },
      });
      return { sessions, accounts };
    };
    const a = make(store());
    const b = make(store());
    await a.accounts.register(await loadRequestSession(a.sessions, info, () => undefined), {
      email: 'throttled@example.com',
      password: 'the right passphrase',
    });
    const wrong = { email: 'throttled@example.com', password: 'a wrong passphrase' };
    const codes: string[] = [];
    for (const side of [a, b, a, b]) {
      try {
        await side.accounts.signIn(await loadRequestSession(side.sessions, info, () => undefined), wrong);
      } catch (error) {
        codes.push((error as { code: string }).code);
      }
    }
    assert.deepEqual(codes, [
      'invalid_credentials',
      'invalid_credentials',
      'invalid_credentials',
      'too_many_attempts',
    ]);
  });
});
