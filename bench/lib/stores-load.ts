/**
 * Helpers for the stores benchmark: a worker pool that keeps a fixed number of operations in flight, and a
 * loader that writes already-created session records into a store with bounded concurrency (a remote store
 * has connection pools and timeouts, so 10,000 creates at once would measure the queue, not the store).
 */
import type { SessionRecord, SessionStore } from '../../src/stores/types.js';
import type { AsyncBatch } from './measure.js';

/**
 * A batch of `count` operations run by `concurrency` async loops, each starting its next operation as soon
 * as its previous one settles, so `concurrency` operations are in flight until the batch runs out.
 */
export function concurrentBatch(operation: () => Promise<void>, concurrency: number): AsyncBatch {
  return async (count: number): Promise<void> => {
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < count) {
        started++;
        await operation();
      }
    };
    const workers: Promise<void>[] = [];
    for (let i = 0; i < Math.min(concurrency, count); i++) workers.push(worker());
    await Promise.all(workers);
  };
}

/** A batch of `count` operations, each awaited before the next starts. */
export function sequentialBatch(operation: () => Promise<void>): AsyncBatch {
  return async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) await operation();
  };
}

/** Writes `records` through `store.create`, `concurrency` at a time. */
export async function loadRecords(
  store: SessionStore,
  records: readonly SessionRecord[],
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const record = records[next++]!;
      await store.create(record);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Passes everything on to `inner` and counts `get` calls: put under a near-cache, it shows how many
 * validations went to the inner store (cache misses).
 */
export class CountingStore implements SessionStore {
  gets = 0;
  constructor(readonly inner: SessionStore) {}

  get index() {
    return this.inner.index;
  }
  get(id: string) {
    this.gets++;
    return this.inner.get(id);
  }
  create(...args: Parameters<SessionStore['create']>) {
    return this.inner.create(...args);
  }
  touch(...args: Parameters<SessionStore['touch']>) {
    return this.inner.touch(...args);
  }
  replace(...args: Parameters<SessionStore['replace']>) {
    return this.inner.replace(...args);
  }
  delete(...args: Parameters<SessionStore['delete']>) {
    return this.inner.delete(...args);
  }
}
