// The near-cache's revocation delay across two "processes" (two stores on separate connections): how long
// after a revocation on B the session stops being accepted on A. The tests assert only that it happens
// (it depends on the machine's load); this is where the figure is measured and printed.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { SessionManager } from 'cloakroom';
import type { SessionUser } from 'cloakroom/stores';

export interface RevocationDelays {
  transport: string;
  trials: number;
  /** Milliseconds from the start of the revocation on B to A's first refusal, sorted. */
  delays: number[];
}

/** The value at quantile `q` (0-1) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * `trials` times: a session made on B is validated twice on A (so A serves it from memory), revoked on B,
 * and A is asked again at every turn of the event loop until it refuses it. Throws if A still accepts a
 * session `failAfterMs` after its revocation (the cache would then be broken, not slow).
 */
export async function measureRevocationDelays(
  transport: string,
  a: SessionManager<SessionUser>,
  b: SessionManager<SessionUser>,
  trials: number,
  failAfterMs = 10_000,
): Promise<RevocationDelays> {
  const delays: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const issued = await b.create(`revoke-${String(trial)}`);
    for (let i = 0; i < 2; i++) {
      if (!(await a.validate(issued.token)).valid) throw new Error(`${transport}: A refused a live session`);
    }
    const start = performance.now();
    await b.revoke(issued.session.id);
    while ((await a.validate(issued.token)).valid) {
      if (performance.now() - start > failAfterMs) {
        throw new Error(
          `${transport}: A still accepts a session ${String(failAfterMs)} ms after its revocation`,
        );
      }
      await yieldToLoop();
    }
    delays.push(performance.now() - start);
  }
  return { transport, trials, delays: delays.sort((x, y) => x - y) };
}
