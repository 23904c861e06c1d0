/**
 * Timing helpers for the benchmarks: fixed-duration rounds timed with `process.hrtime.bigint()`, one
 * untimed warm-up round, and the median of the rounds as the result. The clock is read once per batch, not
 * once per operation, so reading it costs nothing measurable.
 */
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

export interface RoundOptions {
  /** Timed rounds; the median of their rates is the result. */
  rounds: number;
  /** Length of one round in milliseconds (a round ends at the first batch boundary past it). */
  roundMs: number;
  /** Untimed rounds run first, for the JIT and caches. */
  warmupRounds: number;
}

export interface Measurement {
  /** Operations per second of each timed round, in the order they ran. */
  rounds: number[];
  /** The median of `rounds`. */
  median: number;
  /**
   * Operations per second of this process's CPU time (user + system, all its threads, so GC helpers
   * count), per round, and their median. Unlike `rounds`, barely moved by other processes taking turns on
   * the CPU: compare the two to see how much a busy machine took away.
   */
  cpuRounds: number[];
  cpuMedian: number;
  /** Operations performed in the timed rounds. */
  operations: number;
  /**
   * CPU cores other processes kept busy, on average, during the timed rounds (from /proc/stat, minus this
   * process's own CPU time); `null` where /proc/stat is missing. Above ~0.2 on a 2-core machine the rates
   * were taken on a shared CPU and are low.
   */
  otherCores: number | null;
}

/** Performs `count` operations, synchronously. */
export type SyncBatch = (count: number) => void;
/** Performs `count` operations, each awaited before the next starts. */
export type AsyncBatch = (count: number) => Promise<void>;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const at = (index: number): number => sorted[index] ?? Number.NaN;
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

/** Spread of the rounds around the median, as a fraction: (max - min) / median. */
export function spread(values: readonly number[]): number {
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

/** Busy CPU time of the whole machine (all cores, steal included) in milliseconds, or `null`. */
function machineBusyMs(): number | null {
  try {
    const fields = (readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy; USER_HZ is 100.
    const busy = fields
      .slice(0, 8)
      .reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
    return busy * 10;
  } catch {
    return null;
  }
}

/** Starts watching the load other processes put on the machine; the returned function reads it. */
export function watchOtherLoad(): () => number | null {
  const wall = performance.now();
  const busy = machineBusyMs();
  const own = process.cpuUsage();
  return () => {
    const busyNow = machineBusyMs();
    if (busy === null || busyNow === null) return null;
    const ownUsage = process.cpuUsage(own);
    const ownMs = (ownUsage.user + ownUsage.system) / 1000;
    return Math.max(0, (busyNow - busy - ownMs) / (performance.now() - wall));
  };
}

/**
 * The bookkeeping shared by the sync and async measurements: warm-up rounds, per-round wall and CPU rates,
 * and the other-load watch. The timed loops stay separate so a synchronous operation is never awaited.
 */
class Rounds {
  readonly #options: RoundOptions;
  readonly #rates: number[] = [];
  readonly #cpuRates: number[] = [];
  #operations = 0;
  #otherLoad: (() => number | null) | null = null;
  readonly limit: bigint;

  constructor(options: RoundOptions) {
    this.#options = options;
    this.limit = BigInt(Math.round(options.roundMs * 1e6));
  }

  get total(): number {
    return this.#options.warmupRounds + this.#options.rounds;
  }

  begin(round: number): void {
    if (round === this.#options.warmupRounds) this.#otherLoad = watchOtherLoad();
  }

  end(round: number, done: number, elapsed: bigint, cpu: NodeJS.CpuUsage): void {
    if (round < this.#options.warmupRounds) return;
    this.#rates.push((done * 1e9) / Number(elapsed));
    this.#cpuRates.push((done * 1e6) / Math.max(1, cpu.user + cpu.system));
    this.#operations += done;
  }

  result(): Measurement {
    return {
      rounds: this.#rates,
      median: median(this.#rates),
      cpuRounds: this.#cpuRates,
      cpuMedian: median(this.#cpuRates),
      operations: this.#operations,
      otherCores: this.#otherLoad === null ? null : this.#otherLoad(),
    };
  }
}

export function measureSync(batch: SyncBatch, batchSize: number, options: RoundOptions): Measurement {
  const rounds = new Rounds(options);
  for (let round = 0; round < rounds.total; round++) {
    rounds.begin(round);
    let done = 0;
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    let elapsed: bigint;
    do {
      batch(batchSize);
      done += batchSize;
      elapsed = process.hrtime.bigint() - start;
    } while (elapsed < rounds.limit);
    rounds.end(round, done, elapsed, process.cpuUsage(cpuStart));
  }
  return rounds.result();
}

export async function measureAsync(
  batch: AsyncBatch,
  batchSize: number,
  options: RoundOptions,
): Promise<Measurement> {
  const rounds = new Rounds(options);
  for (let round = 0; round < rounds.total; round++) {
    rounds.begin(round);
    let done = 0;
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    let elapsed: bigint;
    do {
      await batch(batchSize);
      done += batchSize;
      elapsed = process.hrtime.bigint() - start;
    } while (elapsed < rounds.limit);
    rounds.end(round, done, elapsed, process.cpuUsage(cpuStart));
  }
  return rounds.result();
}

/**
 * Walks `items` in order, forever: each call gives the next item and wraps at the end. Batches use it so
 * that successive rounds continue through the (shuffled) population instead of replaying its start.
 */
export class Cursor<T> {
  #at = 0;
  readonly items: readonly T[];
  constructor(items: readonly T[]) {
    if (items.length === 0) throw new RangeError('a cursor needs at least one item');
    this.items = items;
  }

  next(): T {
    const item = this.items[this.#at] as T;
    this.#at = this.#at + 1 === this.items.length ? 0 : this.#at + 1;
    return item;
  }
}

/** Fisher-Yates shuffle in place with a seeded PRNG (mulberry32), so runs visit the same order. */
export function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i] as T;
    items[i] = items[j] as T;
    items[j] = swap;
  }
  return items;
}

/**
 * A full garbage collection between phases, so one population's garbage is not collected while the next
 * is being timed. Uses `--expose-gc` when given, else turns it on at run time (V8 allows this before use).
 */
export const collectGarbage: () => void = (() => {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing !== undefined) return existing;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? (gc as () => void) : () => undefined;
})();
