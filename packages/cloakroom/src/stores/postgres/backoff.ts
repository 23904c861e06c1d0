import { systemClock, type Clock } from '../../clock.js';
import { backoffDelay } from '../backoff.js';

/** How the PostgreSQL store backs off from a server it cannot connect to. */
export interface ReconnectBackoffOptions {
  /** The first wait after a failed connection (jittered: half to all of it). Default 50 ms. */
  baseMs?: number;
  /** The longest wait, doubling up to it. Default 1,000 ms: service returns within about 1 s of the server. */
  maxMs?: number;
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

/**
 * The pool opens connections on demand, so while the server is unreachable every request would try to
 * connect (each waiting up to `connectionTimeoutMillis` when the server is silent, and all of them at once
 * hitting a server that is coming back). After a failed connection, this fails calls at once, without
 * touching the pool, for a jittered, doubling wait (50 ms up to 1 s by default); the first call after it
 * tries again, and one success ends the backoff.
 */
export class ReconnectBackoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #clock: Clock;
  #failures = 0;
  #until = 0;
  #last: unknown = null;

  constructor(options: ReconnectBackoffOptions = {}, clock: Clock = systemClock) {
    this.#baseMs = positive(options.baseMs ?? 50, 'reconnectBackoff.baseMs');
    this.#maxMs = positive(options.maxMs ?? 1000, 'reconnectBackoff.maxMs');
    this.#clock = clock;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const wait = this.#until - this.#clock.now();
    if (wait > 0) {
      throw new Error(`PostgreSQL is unreachable; next connection attempt in ${Math.ceil(wait)} ms`, {
        cause: this.#last,
      });
    }
    try {
      const result = await call();
      this.#failures = 0;
      return result;
    } catch (error) {
      if (isConnectFailure(error)) {
        this.#last = error;
        this.#until = this.#clock.now() + backoffDelay(this.#failures++, this.#baseMs, this.#maxMs);
      }
      throw error;
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}
