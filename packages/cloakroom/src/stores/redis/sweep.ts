import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../../lib/redis/client.js';
import { runScript } from '../../lib/redis/script.js';
import type { KeyLayout } from './keys.js';
import { sweep } from './scripts.js';

export interface SweepOptions {
  client: RedisClient;
  keys: KeyLayout;
  /** Sessions with `expiresAt` at or before this (ms, as a decimal string) are removed. */
  now: string;
  batchSize: number;
  /** Bounds each Redis call in time. */
  bound: <T>(call: () => Promise<T>) => Promise<T>;
}

/**
 * `deleteExpired`. Redis TTLs already remove expired sessions (by Redis's clock); what they leave behind are
 * ids in the per-user indexes, which this prunes. It also removes sessions whose `expiresAt` has passed by
 * the caller's `now` when their TTL has not run out yet (clock skew, or a `now` ahead of real time).
 *
 * Not a request path, so it may SCAN: it walks the keyspace of every master (each Cluster master in turn)
 * with `SCAN … MATCH <prefix>{??}:x:* TYPE zset`, `batchSize` keys per step, and runs one short script per
 * index it finds, each removing at most `batchSize` sessions. Every step is small, so Redis never blocks
 * on it; the whole sweep costs O(keys in the database), so run it rarely (hourly is plenty: TTLs do the
 * real work). Never KEYS.
 */
export async function sweepExpired(options: SweepOptions): Promise<number> {
  const { client, keys, now, batchSize, bound } = options;
  const nodes = client.isCluster ? clusterMasters(client as Cluster) : [client];
  const limit = String(batchSize);
  let removed = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await bound(() =>
        node.scan(cursor, 'MATCH', keys.indexPattern(), 'COUNT', limit, 'TYPE', 'zset'),
      );
      cursor = next;
      for (const indexKey of found) {
        const tag = keys.indexTag(indexKey);
        if (tag === null) continue;
        const sessionPrefix = keys.sessionPrefix(tag);
        for (;;) {
          const out = (await bound(() =>
            runScript(client, sweep, [indexKey], [sessionPrefix, now, limit]),
          )) as unknown[];
          const [examined, count] = out;
          removed += Number(count);
          if (Number(examined) < batchSize) break;
        }
      }
    } while (cursor !== '0');
  }
  return removed;
}

/**
 * `countSessions`: the same SCAN as a sweep, then two `ZCOUNT`s per user index found (in one pipeline per
 * SCAN step, on the node that holds the keys): entries scored after `now` are live, the others expired.
 */
export async function countIndexed(options: SweepOptions): Promise<{ live: number; expired: number }> {
  const { client, keys, now, batchSize, bound } = options;
  const nodes = client.isCluster ? clusterMasters(client as Cluster) : [client];
  const counts = { live: 0, expired: 0 };
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await bound(() =>
        node.scan(cursor, 'MATCH', keys.indexPattern(), 'COUNT', String(batchSize), 'TYPE', 'zset'),
      );
      cursor = next;
      const indexes = found.filter((key) => keys.indexTag(key) !== null);
      if (indexes.length === 0) continue;
      const pipeline = node.pipeline();
      for (const key of indexes) pipeline.zcount(key, `(${now}`, '+inf').zcount(key, '-inf', now);
      const replies = (await bound(() => pipeline.exec())) ?? [];
      replies.forEach(([error, value], i) => {
        if (error !== null) throw error;
        counts[i % 2 === 0 ? 'live' : 'expired'] += Number(value);
      });
    } while (cursor !== '0');
  }
  return counts;
}

/**
 * The masters of a Cluster, from the client's slot map. A client that is not ready (still connecting, or no
 * node reachable) knows no masters: that is a failure, never an empty sweep that reports 0 removed.
 */
function clusterMasters(cluster: Cluster): Redis[] {
  if (cluster.status !== 'ready') throw new Error(`Redis Cluster client is not ready (${cluster.status})`);
  const masters = cluster.nodes('master');
  if (masters.length === 0) throw new Error('Redis Cluster client knows no master');
  return masters;
}
