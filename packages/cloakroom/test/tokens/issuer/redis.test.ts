// The Redis issuer stores against the issuer-store conformance suite, on a single server and on the Redis
// Cluster, with a second client standing in for a second process; then what only Redis has: TTLs at the
// family's end and the key layout.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Cluster, Redis } from 'ioredis';
import { RedisClientStore, RedisRefreshTokenStore } from '../../../src/tokens/issuer/stores/redis/index.js';
import { ManualClock } from '../../helpers/clock.js';
import { runIssuerStoreConformance } from './conformance.js';
import {
  connectCluster,
  connectRedis,
  describeRedis,
  describeRedisCluster,
  newPrefix,
  removeKeys,
} from './redis-support.js';

function suite(connect: () => Promise<Redis | Cluster>) {
  return async (clock: ManualClock) => {
    const [client, second] = await Promise.all([connect(), connect()]);
    const prefix = newPrefix();
    return {
      refresh: new RedisRefreshTokenStore(client, { prefix, clock }),
      clients: new RedisClientStore(client, { prefix }),
      peer: new RedisRefreshTokenStore(second, { prefix, clock }),
      close: async () => {
        await removeKeys(client, prefix);
        second.disconnect();
        client.disconnect();
      },
    };
  };
}

describeRedis('Redis (single server)', () => {
  runIssuerStoreConformance('Redis issuer stores', suite(connectRedis));

  let client: Redis;
  const prefix = newPrefix();
  before(async () => {
    client = await connectRedis();
  });
  after(async () => {
    await removeKeys(client, prefix);
    client.disconnect();
  });

  test('a client record written before `resources` existed reads as serving none', async () => {
    const old = {
      id: 'old',
      secretHash: 'sha256:x',
      scopes: ['a'],
      audiences: ['https://a.example'],
      createdAt: 1,
    };
    await client.hset(`${prefix}clients`, 'old', JSON.stringify(old));
    assert.deepEqual(await new RedisClientStore(client, { prefix }).find('old'), { ...old, resources: [] });
  });

  test('every key of a family expires at its end, by the store clock; indexes live as long', async () => {
    const clock = new ManualClock(Date.now() - 3_600_000); // a clock an hour behind Redis's own
    const store = new RedisRefreshTokenStore(client, { prefix, clock });
    const end = clock.now() + 600_000;
    const family = {
      id: 'fam-ttl',
      userId: 'user-ttl',
      clientId: 'client-ttl',
      scope: 'a',
      audience: 'https://a.example',
      sessionId: 'session-ttl',
      createdAt: clock.now(),
      absoluteExpiresAt: end,
      revokedAt: null,
      revokedReason: null,
    };
    const token = (id: string) => ({
      id,
      familyId: family.id,
      secretHash: new Uint8Array(32),
      createdAt: clock.now(),
      expiresAt: clock.now() + 60_000,
      usedAt: null,
    });
    await store.createFamily(family, token('tok-ttl-1'));
    assert.equal(await store.rotate('tok-ttl-1', clock.now(), token('tok-ttl-2')), true);
    const keys = [
      `${prefix}{fam-ttl}:f`,
      `${prefix}t:tok-ttl-1`,
      `${prefix}t:tok-ttl-2`,
      `${prefix}x:u:user-ttl`,
      `${prefix}x:s:session-ttl`,
      `${prefix}x:c:client-ttl`,
    ];
    for (const key of keys) {
      const ttl = await client.pttl(key);
      assert.ok(ttl > 590_000 && ttl <= 600_000, `${key}: ${ttl} ms`);
    }
  });

  const ends = { timeout: 10_000 }; // a sweep that never moves past a family would hang
  test(
    'a sweep keeps a family whose expiry score is stale (it ends later), re-scores it, and ends',
    ends,
    async () => {
      const clock = new ManualClock(Date.now());
      const own = newPrefix(); // no other test's families in this sweep
      const store = new RedisRefreshTokenStore(client, { prefix: own, clock });
      const end = clock.now() + 600_000;
      await store.createFamily(
        {
          id: 'fam-stale',
          userId: 'user-stale',
          clientId: 'client-stale',
          scope: 'a',
          audience: 'https://a.example',
          sessionId: null,
          createdAt: clock.now(),
          absoluteExpiresAt: end,
          revokedAt: null,
          revokedReason: null,
        },
        {
          id: 'tok-stale',
          familyId: 'fam-stale',
          secretHash: new Uint8Array(32),
          createdAt: clock.now(),
          expiresAt: clock.now() + 60_000,
          usedAt: null,
        },
      );
      await client.zadd(`${own}x:exp`, clock.now() - 1, 'fam-stale');
      assert.equal(await store.deleteExpired(clock.now()), 0);
      assert.notEqual(await store.find('tok-stale'), null);
      assert.equal(Number(await client.zscore(`${own}x:exp`, 'fam-stale')), end);
      await removeKeys(client, own);
    },
  );

  test('a Cluster client reading from replicas is refused; so is a prefix with a hash-tag brace', () => {
    const replicas = { isCluster: true, options: { scaleReads: 'slave' } } as unknown as Cluster;
    assert.throws(() => new RedisRefreshTokenStore(replicas), TypeError);
    assert.throws(() => new RedisClientStore(replicas), TypeError);
    assert.throws(() => new RedisRefreshTokenStore(client, { prefix: 'a{b}' }), TypeError);
  });
});

describeRedisCluster('Redis Cluster', () => {
  runIssuerStoreConformance('Redis issuer stores on a Cluster', suite(connectCluster));
});
