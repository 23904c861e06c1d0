import type { Logger } from 'pino';
import type { Clock } from 'cloakroom';
import type { SecurityEvent, SecurityEventType } from 'cloakroom/events';
import { ACTIVITY_RETENTION_MS, type ActivityRepository } from './types.js';

/** Events an operator should look at: logged at `warn`, the rest at `info`. */
const WARNINGS: ReadonlySet<SecurityEventType> = new Set<SecurityEventType>([
  'sign_in.failed',
  'sign_in.throttled',
  'refresh.reuse_detected',
  'csrf.rejected',
  'store.unavailable',
]);

/** Writes in flight beyond this are dropped (and logged): a stalled database never grows memory. */
const MAX_PENDING = 1000;
const COMMON_FIELDS: ReadonlySet<string> = new Set(['type', 'at', 'userId', 'sessionId', 'ip', 'userAgent']);
/** Old events are pruned at most this often, on a write. */
const PRUNE_INTERVAL_MS = 3600_000;

export interface ActivityLogOptions {
  repository: ActivityRepository;
  log: Logger;
  clock: Clock;
}

/**
 * The site's subscriber to the security event stream: logs every event (structured, through pino; the events
 * carry no secret) and keeps those of a known user in the database for 90 days, for the "Recent activity"
 * page and `GET /api/activity`. Writes are started, not awaited, so no request waits for them; a failed
 * write is logged and lost. Rows older than 90 days are pruned on a write, at most once an hour, and never
 * shown meanwhile.
 */
export class ActivityLog {
  readonly #options: ActivityLogOptions;
  readonly #pending = new Set<Promise<void>>();
  #lastPruneAt = -Infinity;

  constructor(options: ActivityLogOptions) {
    this.#options = options;
  }

  /** The event sink: give it to an `EventStream`'s `subscribe`, or as `onEvent`. */
  readonly onEvent = (event: SecurityEvent): void => {
    const { log } = this.#options;
    if (WARNINGS.has(event.type)) log.warn({ event }, 'security event');
    else log.info({ event }, 'security event');
    if (event.userId !== undefined) this.#store(event, event.userId);
  };

  /** Resolves once every write started so far has finished (failed ones included). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** Deletes events past the 90 days now; resolves to how many. */
  prune(): Promise<number> {
    const now = this.#options.clock.now();
    this.#lastPruneAt = now;
    return this.#options.repository.prune(now - ACTIVITY_RETENTION_MS);
  }

  #store(event: SecurityEvent, userId: string): void {
    const { repository, log, clock } = this.#options;
    if (this.#pending.size >= MAX_PENDING) {
      log.warn({ type: event.type }, 'activity not recorded: too many writes pending');
      return;
    }
    const { type, at, sessionId, ip, userAgent } = event;
    // The event's own fields (method, reason, by, count…); the common ones have their columns.
    const details = Object.fromEntries(Object.entries(event).filter(([field]) => !COMMON_FIELDS.has(field)));
    const write = (async () => {
      await repository.record({
        userId,
        at,
        type,
        sessionId: sessionId ?? null,
        ip,
        userAgent,
        details: JSON.stringify(details),
      });
      if (clock.now() - this.#lastPruneAt >= PRUNE_INTERVAL_MS) {
        const pruned = await this.prune();
        if (pruned > 0) log.info({ pruned }, 'old activity pruned');
      }
    })()
      .catch((error: unknown) => {
        log.warn({ type, err: error instanceof Error ? error.message : 'unknown' }, 'activity not recorded');
      })
      .finally(() => {
        this.#pending.delete(write);
      });
    this.#pending.add(write);
  }
}
