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
