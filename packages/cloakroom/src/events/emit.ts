import type { EventSink, SecurityEvent } from './types.js';

/**
 * Hands `event` to `sink`, if there is one, and never lets the hook break the caller: a throw is caught, a
 * returned promise is not awaited and its rejection is caught. Callers test the sink for `null` first, so an
 * application without a hook does not even build the event.
 *
 * @example
 * ```ts
 * if (onEvent !== null) emitEvent(onEvent, { type: 'session.signed_out', at, userId, sessionId, ip, userAgent });
 * ```
 */
export function emitEvent(sink: EventSink | null | undefined, event: SecurityEvent): void {
  if (sink === null || sink === undefined) return;
  try {
    const result = sink(event);
    if (typeof result === 'object' && result !== null && 'then' in result) {
      const then: unknown = result.then;
      if (typeof then === 'function') then.call(result, undefined, ignore);
    }
  } catch {
    // A hook's failure is the hook's business: the request goes on.
  }
}

function ignore(): void {}

const reportedFailures = new WeakSet<object>();

/**
 * Records that a `store.unavailable` event was emitted for `error`. The library marks the failures it reports
 * itself (session validation, a password sign-in), so an application that reports every store failure it
 * answers with 503, in one place (its error handler), can skip those with {@link isStoreFailureReported} and
 * emit each outage once.
 *
 * @example
 * ```ts
 * emitEvent(onEvent, { type: 'store.unavailable', at, operation: 'validate', ip, userAgent });
 * markStoreFailureReported(error);
 * ```
 */
export function markStoreFailureReported(error: unknown): void {
  if (typeof error === 'object' && error !== null) reportedFailures.add(error);
}

/**
 * Whether a `store.unavailable` event was already emitted for `error` (see {@link markStoreFailureReported}).
 *
 * @example
 * ```ts
 * if (code === 'store_unavailable' && !isStoreFailureReported(error)) emitEvent(onEvent, { type: 'store.unavailable', … });
 * ```
 */
export function isStoreFailureReported(error: unknown): boolean {
  return typeof error === 'object' && error !== null && reportedFailures.has(error);
}

/**
 * One sink that hands each event to every given sink in turn (each isolated from the others' failures);
 * `null` and `undefined` entries are skipped. Resolves to `null` when none is left, so the "no hook" fast
 * path stays.
 *
 * @example
 * ```ts
 * const onEvent = combineSinks(logEvent, metrics.onEvent);
 * ```
 */
export function combineSinks(...sinks: (EventSink | null | undefined)[]): EventSink | null {
  const present = sinks.filter((sink): sink is EventSink => typeof sink === 'function');
  if (present.length === 0) return null;
  if (present.length === 1) {
    const [only] = present as [EventSink];
    return (event) => {
      emitEvent(only, event);
    };
  }
  return (event) => {
    for (const sink of present) emitEvent(sink, event);
  };
}

/** Checks a user-supplied `onEvent` option: a function, or nothing. */
export function resolveEventSink(value: unknown, name = 'onEvent'): EventSink | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function (event) => void`);
  return value as EventSink;
}
