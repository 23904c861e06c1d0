import type { Span, Tracer } from '@opentelemetry/api';
import type { ImmediateRead, SessionIndex, SessionStore } from '../stores/index.js';
import { isPromiseLike } from '../lib/promise.js';
import { METRICS } from './definitions.js';
import { cloakroomTracer, failSpan, tracingRecords } from './tracing.js';
import type { Histogram, Labels, Metrics } from './types.js';

export interface InstrumentStoreOptions {
  /** The `backend` label and span attribute: `redis`, `postgres`, `sqlite`… (1-32 of a-z, 0-9, _). */
  backend: string;
  /** Where `cloakroom_store_operation_seconds` goes. Default: nowhere. */
  metrics?: Metrics;
  /** A span per call (`cloakroom.store.<operation>`) through `@opentelemetry/api`. Default `false`. */
  tracing?: boolean;
}

type Operation =
  'get' | 'create' | 'touch' | 'replace' | 'delete' | 'list_by_user' | 'delete_by_user' | 'delete_expired';

/**
 * A `SessionStore` that times every call of `store` (per operation, backend and outcome) and, with
 * `tracing`, puts a span around it; it answers exactly as `store` does. It composes like any store wrapper:
 * put it around the backend and the near-cache around it, so the histogram shows the backend's latency and
 * the near-cache's own counters show its hits.
 *
 * Spans carry the operation and the backend only: no session id, no user id.
 *
 * @example
 * ```ts
 * const store = await CachedStore.create(instrumentStore(new RedisStore(redis), { backend: 'redis', metrics }), {
 *   invalidator: new RedisInvalidator(redis),
 *   metrics,
 * });
 * ```
 */
export function instrumentStore<U>(store: SessionStore<U>, options: InstrumentStoreOptions): SessionStore<U> {
  const backend: unknown = options.backend;
  if (typeof backend !== 'string' || !/^[a-z0-9_]{1,32}$/.test(backend)) {
    throw new TypeError('backend must be 1-32 characters of a-z, 0-9 and _ (e.g. redis)');
  }
  const timer = new CallTimer(
    backend,
    options.metrics?.histogram(METRICS.storeOperationSeconds) ?? null,
    options.tracing === true ? cloakroomTracer() : null,
  );
  const time = timer.time.bind(timer);
  const wrapped: SessionStore<U> = {
    get: (id) => time('get', () => store.get(id)),
    create: (session) => time('create', () => store.create(session)),
    touch: (id, touch) => time('touch', () => store.touch(id, touch)),
    replace: (id, version, next) => time('replace', () => store.replace(id, version, next)),
    delete: (id) => time('delete', () => store.delete(id)),
  };
  const extra: {
    index?: SessionIndex;
    immediate?: ImmediateRead<U>;
    sessionIdTag?: (userId: string) => string;
  } = wrapped;
  if (store.index !== undefined) extra.index = instrumentIndex(store.index, time);
  const immediate = store.immediate;
  if (immediate !== undefined)
    extra.immediate = { getNow: (id) => timer.timeNow(() => immediate.getNow(id)) };
  if (store.sessionIdTag !== undefined) extra.sessionIdTag = store.sessionIdTag.bind(store);
  return wrapped;
}

type Time = <T>(operation: Operation, call: () => Promise<T>) => Promise<T>;

function instrumentIndex(index: SessionIndex, time: Time): SessionIndex {
  return {
    listByUser: (userId: string) => time('list_by_user', () => index.listByUser(userId)),
    deleteByUser: (userId: string, opts?: { except?: string }) =>
      time('delete_by_user', () => index.deleteByUser(userId, opts)),
    deleteExpired: (now: number) => time('delete_expired', () => index.deleteExpired(now)),
    // Counting is an operator's statistic, not a request path: forwarded untimed.
    ...(index.counter === undefined ? {} : { counter: index.counter }),
  };
}

/** Times calls into one histogram, with the label objects built once per operation and outcome. */
class CallTimer {
  readonly #backend: string;
  readonly #histogram: Histogram | null;
  readonly #tracer: Tracer | null;
  /** The label objects of each operation and outcome, made once: timing a call allocates none. */
  readonly #labels: Readonly<Record<Operation, { ok: Labels; error: Labels }>>;

  constructor(backend: string, histogram: Histogram | null, tracer: Tracer | null) {
    this.#backend = backend;
    this.#histogram = histogram;
    this.#tracer = tracer;
    const labels = (operation: Operation) => ({
      ok: { operation, backend, outcome: 'ok' },
      error: { operation, backend, outcome: 'error' },
    });
    this.#labels = {
      get: labels('get'),
      create: labels('create'),
      touch: labels('touch'),
      replace: labels('replace'),
      delete: labels('delete'),
      list_by_user: labels('list_by_user'),
      delete_by_user: labels('delete_by_user'),
      delete_expired: labels('delete_expired'),
    };
  }

  async time<T>(operation: Operation, call: () => Promise<T>): Promise<T> {
    const span = this.#startSpan(operation);
    const started = performance.now();
    let ok = false;
    try {
      const result = await call();
      ok = true;
      return result;
    } catch (error) {
      if (span !== null) failSpan(span, error);
      throw error;
    } finally {
      this.#record(operation, ok, started, span);
    }
  }

  /** The `immediate` read: timed synchronously when it answers at once, on settlement otherwise. */
  timeNow<T>(call: () => T | PromiseLike<T>): T | Promise<T> {
    const span = this.#startSpan('get');
    const started = performance.now();
    let result: T | PromiseLike<T>;
    try {
      result = call();
    } catch (error) {
      if (span !== null) failSpan(span, error);
      this.#record('get', false, started, span);
      throw error;
    }
    if (!isPromiseLike(result)) {
      this.#record('get', true, started, span);
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        this.#record('get', true, started, span);
        return value;
      },
      (error: unknown) => {
        if (span !== null) failSpan(span, error);
        this.#record('get', false, started, span);
        throw error;
      },
    );
  }

  #startSpan(operation: Operation): Span | null {
    if (this.#tracer === null || !tracingRecords()) return null;
    return this.#tracer.startSpan(`cloakroom.store.${operation}`, {
      attributes: { 'cloakroom.store.operation': operation, 'cloakroom.store.backend': this.#backend },
    });
  }

  #record(operation: Operation, ok: boolean, started: number, span: Span | null): void {
    span?.end();
    if (this.#histogram === null) return;
    const labels = this.#labels[operation];
    this.#histogram.observe(ok ? labels.ok : labels.error, (performance.now() - started) / 1000);
  }
}
