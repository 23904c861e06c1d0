import type { Pool, PoolConfig } from 'pg';

/**
 * Pool settings under which a PostgreSQL that is down, slow or unreachable gives an error in bounded time,
 * so a request answers 503 `store_unavailable` instead of hanging. Pass your own settings; they win.
 *
 * - `connectionTimeoutMillis` (2 s): bounds opening a connection *and* waiting for a free one when the pool
 *   is exhausted; with it there is no unbounded queue of requests waiting for a dead server.
 * - `statement_timeout` (2 s, server side): the server cancels a statement that runs or waits on a lock longer,
 *   and the connection stays usable.
 * - `query_timeout` (3 s, client side): the client gives up on a server that stopped answering at all (a
 *   network partition) and the pool discards that connection. Longer than `statement_timeout`, so the
 *   server's own cancellation normally wins.
 * - `idle_in_transaction_session_timeout` (5 s): a transaction abandoned mid-way never holds locks for long.
 * - `idleTimeoutMillis` (10 s) and `keepAlive`: idle connections are closed, and dead ones noticed by TCP.
 * - `max` (10): connections per process; mind the server's `max_connections` across processes.
 *
 * The pool reconnects on demand: once the server is back, the next request opens a fresh connection, so
 * service comes back by itself.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool = new pg.Pool(postgresPoolOptions({ connectionString: process.env.DATABASE_URL }));
 * pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
 * ```
 */
export function postgresPoolOptions(overrides: PoolConfig = {}): PoolConfig {
  return {
    max: 10,
    connectionTimeoutMillis: 2000,
    statement_timeout: 2000,
    query_timeout: 3000,
    idle_in_transaction_session_timeout: 5000,
    idleTimeoutMillis: 10_000,
    keepAlive: true,
    application_name: 'cloakroom',
    ...overrides,
  };
}

const guarded = new WeakSet<Pool>();

/**
 * An idle pooled connection whose server goes away makes the pool emit `'error'`; with no listener, Node
 * turns that into a crash. The pool has already dropped the broken connection, so the stores attach one
 * listener per pool that hands the error to `onError` (default: ignore it). Your own listeners still run.
 */
export function guardPool(pool: Pool, onError: (error: Error) => void = () => {}): void {
  if (guarded.has(pool)) return;
  guarded.add(pool);
  pool.on('error', (error) => {
    onError(error);
  });
}

const CONNECTION_LOST = new Set(['57P01', '57P02', 'ECONNRESET', 'EPIPE']);

/**
 * Whether an error says the connection died under the query (its backend was terminated, the socket was
 * reset), as opposed to a timeout, a refused connection or an SQL error. Only then is a read worth one
 * retry on a fresh connection: a timeout retried would double the bound on a slow server.
 */
export function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return CONNECTION_LOST.has(code) || code.startsWith('08');
  return error.message === 'Connection terminated unexpectedly';
}

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '53300', // too_many_connections
]);

/**
 * Whether `error` says no connection could be opened (as opposed to a failed statement on a live one). Not
 * pg-pool's "timeout exceeded when trying to connect": that is a wait for a free pooled connection (a busy
 * pool, not an unreachable server), and backing off from it would turn a burst of load into an outage.
 */
export function isConnectFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECT_FAILURES.has(code)) return true;
  return error.message === 'Connection terminated due to connection timeout';
}
