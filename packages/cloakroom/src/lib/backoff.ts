import { systemClock, type Clock } from '../clock.js';

/**
 * Exponential backoff with jitter, for reconnecting to a store: attempt `n` (from 0) waits a random time
 * between half and all of `min(baseMs * 2^n, maxMs)` ("equal jitter"). The cap bounds how long service
 * takes to come back once the store does; the jitter keeps many processes that lost the same server from
 * reconnecting in lockstep.
 *
 * @example
 * ```ts
 * backoffDelay(0, 50, 2000); // 25-50 ms
 * backoffDelay(10, 50, 2000); // 1000-2000 ms
 * ```
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** How a store backs off from a server it cannot connect to. */
export interface ReconnectBackoffOptions {
  /** The first wait after a failed connection (jittered: half to all of it). Default 50 ms. */
  baseMs?: number;
  /** The longest wait, doubling up to it. Default 1,000 ms: service returns within about 1 s of the server. */
  maxMs?: number;
}

/** What a {@link ReconnectBackoff} guards: the server's name for messages, and which errors mean "no connection". */
export interface ReconnectTarget {
  /** Names the server in the fast-failure message, e.g. `PostgreSQL`. */
  name: string;
  /** Whether `error` says no connection could be opened (as opposed to a failed statement on a live one). */
  isConnectFailure: (error: unknown) => boolean;
}

/**
 * A client that opens connections on demand (pg's pool) would, while its server is unreachable, try to
 * connect on every request (each waiting up to its connection timeout when the server is silent, and all
 * of them at once hitting a server that is coming back). After a failed connection, this fails calls at
 * once, without touching the client, for a jittered, doubling wait ({@link backoffDelay}; 50 ms up to 1 s by
 * default); the first call after it tries again, and one success ends the backoff.
 */
export class ReconnectBackoff {
  readonly #target: ReconnectTarget;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #clock: Clock;
  #failures = 0;
  #until = 0;
  #last: unknown = null;

  constructor(target: ReconnectTarget, options: ReconnectBackoffOptions = {}, clock: Clock = systemClock) {
    this.#target = target;
    this.#baseMs = positive(options.baseMs ?? 50, 'reconnectBackoff.baseMs');
    this.#maxMs = positive(options.maxMs ?? 1000, 'reconnectBackoff.maxMs');
    this.#clock = clock;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const wait = this.#until - this.#clock.now();
    if (wait > 0) {
      throw new Error(
        `${this.#target.name} is unreachable; next connection attempt in ${Math.ceil(wait)} ms`,
        {
          cause: this.#last,
        },
      );
    }
    try {
      const result = await call();
      this.#failures = 0;
      return result;
    } catch (error) {
      if (this.#target.isConnectFailure(error)) {
        this.#last = error;
        this.#until = this.#clock.now() + backoffDelay(this.#failures++, this.#baseMs, this.#maxMs);
      }
      throw error;
    }
  }
}

/** Throws `TypeError` (caller misuse) unless `value` is a finite number above zero; returns it. */
export function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}
