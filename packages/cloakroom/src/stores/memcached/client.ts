import type { Client, ClientOptions, ServerOptions } from 'memjs';

/**
 * The part of a memjs `Client` the store uses (any `Client<In, Out>` fits: the store bypasses the serializer).
 */
export type MemcachedClient = Pick<Client, 'perform' | 'incrSeq' | 'seq'>;

/**
 * The memjs options the store expects, so a memcached that is down, slow or unreachable answers
 * `store_unavailable` (503) within a bounded time and service comes back by itself:
 *
 * - `timeout`: a request with no reply after this many seconds fails (default 0.5 s); memjs then drops the
 *   connection and opens a new one on the next request, which is how service returns when the server does;
 * - `conntimeout`: a connection attempt that hangs (a dead host, a dropped SYN) is abandoned (default 1 s);
 * - `retries: 1`: memjs counts attempts, so this means no retry. memjs keeps a failed request's error
 *   handler and runs it again on the connection's next error, so with retries a write the store had already
 *   reported as failed could be sent again later; with one attempt nothing is ever re-sent;
 * - `failover: false`: memjs's failover marks a failed server dead for `failoverTime` (60 s); with one server
 *   it then answers "No servers available" all that time, even once the server is back. With several
 *   servers it is worse: a dead server's keys go to another one meanwhile, so a sign-out there deletes
 *   nothing, and the revoked session is valid again when its own server returns. Keep it off;
 * - `keepAlive: true`: TCP keep-alive, so a connection silently dropped by a firewall is noticed.
 *
 * memjs does not fail requests that were in flight when the server closed the connection (no `error` event,
 * and their timer was on the closed socket), and a late `close` of a refused connection can orphan the next
 * one: such a request never gets a reply. The store's own `timeoutMs` (default 2 s) ends it, so the first
 * request or two after memcached goes away or comes back may answer `store_unavailable` after that long;
 * later ones reconnect normally. memjs logs failed requests through `logger` (default `console`): pass
 * yours. Spread your own options (`username`, `password`, …) over or under these as you need.
 *
 * @example
 * ```ts
 * import memjs from 'memjs';
 * import { MemcachedStore, memcachedClientOptions } from 'cloakroom/stores/memcached';
 * const client = memjs.Client.create('cache.internal:11211', { ...memcachedClientOptions(), logger });
 * const store = new MemcachedStore(client, { prefix: 'cr:' });
 * ```
 */
export function memcachedClientOptions(
  options: { timeoutMs?: number; connectTimeoutMs?: number } = {},
): ClientOptions & ServerOptions {
  const timeout = positive(options.timeoutMs ?? 500, 'timeoutMs');
  const connect = positive(options.connectTimeoutMs ?? Math.max(1000, 2 * timeout), 'connectTimeoutMs');
  return {
    timeout: timeout / 1000,
    conntimeout: connect / 1000,
    retries: 1,
    failover: false,
    keepAlive: true,
    keepAliveDelay: 30,
  };
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}
