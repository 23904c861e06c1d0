/**
 * Settings of the fuzz tests (test/fuzz/ in both packages): how many generated cases each parser gets and from
 * which seed. CI runs 10,000 cases per parser from a fixed seed; `npm run fuzz` runs many more from a random
 * seed it prints first. Each fuzz test prints one line with its parser, case count and seed, and fast-check
 * prints the seed and the counterexample's path when a property fails, so any failure can be replayed with
 * `CLOAKROOM_FUZZ_SEED=<seed>`.
 */
import fc from 'fast-check';

/** Cases per parser: `CLOAKROOM_FUZZ_RUNS`, else 10,000. */
export const FUZZ_RUNS = positive('CLOAKROOM_FUZZ_RUNS', 10_000);
/** The seed: `CLOAKROOM_FUZZ_SEED`, else fixed (so CI runs are reproducible). */
export const FUZZ_SEED = integer('CLOAKROOM_FUZZ_SEED', 20_261_204);

/** The longest one case may take before it counts as a hang (a super-linear parser, a request that stalls). */
export const CASE_TIME_LIMIT_MS = 2_000;

/**
 * fast-check parameters for the fuzz run of `parser`, printing its line (`fuzz <parser>: N cases, seed S`, shown as `# fuzz …` in the test log).
 * Async properties are interrupted after {@link CASE_TIME_LIMIT_MS} (`timeout`, a failure); sync ones should
 * be run through {@link bounded}.
 */
export function fuzzParameters<T>(parser: string): fc.Parameters<T> {
  console.log(`fuzz ${parser}: ${FUZZ_RUNS} cases, seed ${FUZZ_SEED}`);
  return {
    numRuns: FUZZ_RUNS,
    seed: FUZZ_SEED,
    timeout: CASE_TIME_LIMIT_MS,
    endOnFailure: true,
    includeErrorInReport: true,
  };
}

/**
 * Runs one synchronous case and fails it when it took longer than {@link CASE_TIME_LIMIT_MS}: a blocked event
 * loop cannot be interrupted, but a slow (super-linear) input still shows up as a failing counterexample.
 */
export function bounded<R>(run: () => R): R {
  const started = performance.now();
  const result = run();
  const elapsed = performance.now() - started;
  if (elapsed > CASE_TIME_LIMIT_MS) throw new Error(`one case took ${Math.round(elapsed)} ms`);
  return result;
}

/** A test's time limit for a whole fuzz run: generous per case, so only a real hang trips it. */
export function fuzzTestTimeout(msPerCase = 20): number {
  return Math.max(120_000, FUZZ_RUNS * msPerCase);
}

function positive(name: string, fallback: number): number {
  const value = integer(name, fallback);
  if (value <= 0) throw new TypeError(`${name} must be a positive whole number`);
  return value;
}

function integer(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be a whole number`);
  return value;
}
