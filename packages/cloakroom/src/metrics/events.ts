import type { EventSink } from '../events/index.js';
import { METRICS } from './definitions.js';
import type { Metrics } from './types.js';

/**
 * An `onEvent` hook (`cloakroom/events`) that counts: every event by type
 * (`cloakroom_security_events_total`), and sign-ins by outcome, method and failure reason
 * (`cloakroom_sign_ins_total`). Give it beside your own hook with `combineSinks`. Label values are the
 * events' own bounded names; an application's own sign-in method or reason that is not a short
 * `[a-z0-9_]` name counts as `other`.
 *
 * @example
 * ```ts
 * const onEvent = combineSinks(logEvent, countEvents(metrics));
 * const sessions = createSessionManager({ store, origin, keys, onEvent });
 * ```
 */
export function countEvents(metrics: Metrics): EventSink {
  const events = metrics.counter(METRICS.securityEvents);
  const signIns = metrics.counter(METRICS.signIns);
  return (event) => {
    events.inc({ type: event.type });
    switch (event.type) {
      case 'sign_in.succeeded':
        signIns.inc({ outcome: 'succeeded', method: bounded(event.method), reason: '' });
        return;
      case 'sign_in.failed':
        signIns.inc({ outcome: 'failed', method: bounded(event.method), reason: bounded(event.reason) });
        return;
      case 'sign_in.throttled':
        signIns.inc({ outcome: 'throttled', method: '', reason: event.action });
        return;
      default:
        return;
    }
  };
}

/** A label value from an open string type: itself when it is a short name, else `other`. */
function bounded(value: string): string {
  return /^[a-z0-9_]{1,32}$/.test(value) ? value : 'other';
}
