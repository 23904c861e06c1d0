/**
 * Helpers for the stores benchmark: a worker pool that keeps a fixed number of operations in flight, and a
 * loader that writes already-created session records into a store with bounded concurrency (a remote store
 * has connection pools and timeouts, so 10,000 creates at once would measure the queue, not the store).
 */
import { createSessionManager } from 'cloakroom/session';
import type { SessionRecord, SessionStore } from 'cloakroom/stores';
import type { AsyncBatch } from '../../src/bench/measure.js';
import { ORIGIN, SIGNING_KEY, type CreatedSessions } from './populate.js';

// The same user agents as bench/lib/populate.ts (real browsers' strings, 70-115 bytes).
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
];

/**
 * Creates `size` sessions through a signed manager, as `createSessions` in populate.ts does (two per user,
 * with a user agent and an IP), but with ids carrying `sessionIdTag`'s tag, as the manager makes them for a
 * store that asks for one (the Redis store). Nothing is stored: the records are kept to be loaded into each
 * store (every store accepts tagged ids).
 */
export async function createTaggedSessions(
  size: number,
  sessionIdTag: (userId: string) => string,
): Promise<CreatedSessions> {
  const records: SessionRecord[] = [];
  const refuse = (): never => {
    throw new Error('not used while populating');
  };
  const recorder: SessionStore = {
    sessionIdTag,
    create: (session) => {
      records.push(session);
      return Promise.resolve();
    },
    get: refuse,
    touch: refuse,
    replace: refuse,
    delete: refuse,
  };
  const manager = createSessionManager({ store: recorder, origin: ORIGIN, keys: [SIGNING_KEY] });
  const tokens: string[] = [];
  for (let i = 0; i < size; i++) {
    const metadata = { userAgent: USER_AGENTS[i & 3]!, ip: `203.0.113.${i & 255}` };
    tokens.push((await manager.create(`user-${i >> 1}`, metadata)).token);
  }
  return { tokens, records };
}

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
  get sessionIdTag() {
    return this.inner.sessionIdTag?.bind(this.inner);
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
