import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { backoffDelay, positive } from '../backoff.js';

/** The client the Redis-backed stores run on: your own ioredis `Redis` (single server) or `Cluster`. */
export type RedisClient = Redis | Cluster;

/**
 * The ioredis options the store expects, so a store that is down, slow or refusing writes answers
 * `store_unavailable` (503) within a bounded time and comes back by itself:
 *
 * - `enableOfflineQueue: false`: while disconnected, commands fail at once instead of queueing without limit;
 * - `commandTimeout`: a command with no reply after this many ms fails (default 1,000);
 * - `maxRetriesPerRequest: 1`: a command cut off by a dropped connection is retried at most once;
 * - `retryStrategy`: reconnect for ever, with jittered exponential backoff (25-50 ms, then doubling) capped
 *   at `maxReconnectDelayMs` (default 2,000 ms), so service returns on its own when the server does, and
 *   processes that lost the same server do not reconnect in lockstep;
 * - `connectTimeout`: a connection attempt that hangs is abandoned (default 2,000 ms);
 * - `enableAutoPipelining: true`: concurrent requests share round trips.
 *
 * Spread your own options (host, password, TLS, …) over or under these as you need.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisStore, redisClientOptions } from 'cloakroom/stores/redis';
 * const client = new Redis({ host: 'redis.internal', ...redisClientOptions() });
 * const store = new RedisStore(client);
 * ```
 * For a Cluster, see `redisClusterOptions`.
 */
export function redisClientOptions(
  options: { commandTimeoutMs?: number; maxReconnectDelayMs?: number } = {},
): RedisOptions {
  const commandTimeout = positive(options.commandTimeoutMs ?? 1000, 'commandTimeoutMs');
  const maxDelay = positive(options.maxReconnectDelayMs ?? 2000, 'maxReconnectDelayMs');
  return {
    enableOfflineQueue: false,
    commandTimeout,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.max(commandTimeout, 2000),
    enableAutoPipelining: true,
    retryStrategy: (times: number) => backoffDelay(times - 1, 50, maxDelay),
  };
}

/**
 * The same for an ioredis `Cluster`:
 *
 * - the cluster client's offline queue off: while it is not ready (no slot map yet, or every node lost),
 *   commands fail instead of queueing (auto-pipelined ones wait for the first slot map, within the store's
 *   `timeoutMs`);
 * - auto-pipelining on (ioredis groups commands by the master serving their first key, scripts included);
 * - reads from masters only (`scaleReads: 'master'`: scripts write, and a replica may lag);
 * - reconnection of the cluster for ever, with jittered exponential backoff (50-100 ms, then doubling)
 *   capped at `maxReconnectDelayMs`;
 * - per node (`redisOptions`): `commandTimeout`, `connectTimeout` and `maxRetriesPerRequest` as in
 *   `redisClientOptions`. ioredis keeps each node's own offline queue on and gives nodes no reconnection of
 *   their own (a lost node is found again through the slot map), whatever `redisOptions` says, so those two
 *   are not set here; `commandTimeout` still bounds every command.
 *
 * Keep the per-node options when you add yours: spread them, do not replace `redisOptions`.
 *
 * @example
 * ```ts
 * import { Cluster } from 'ioredis';
 * const options = redisClusterOptions();
 * const client = new Cluster([{ host: 'redis-1.internal', port: 6379 }], {
 *   ...options,
 *   redisOptions: { ...options.redisOptions, password: process.env.REDIS_PASSWORD },
 * });
 * const store = new RedisStore(client);
 * ```
 */
export function redisClusterOptions(
  options: { commandTimeoutMs?: number; maxReconnectDelayMs?: number } = {},
): ClusterOptions & { redisOptions: RedisOptions } {
  const client = redisClientOptions(options);
  const node: RedisOptions = {
    commandTimeout: client.commandTimeout,
    connectTimeout: client.connectTimeout,
    maxRetriesPerRequest: client.maxRetriesPerRequest,
  };
  const maxDelay = positive(options.maxReconnectDelayMs ?? 2000, 'maxReconnectDelayMs');
  return {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    scaleReads: 'master',
    clusterRetryStrategy: (times: number) => backoffDelay(times - 1, 100, maxDelay),
    redisOptions: node,
  };
}
