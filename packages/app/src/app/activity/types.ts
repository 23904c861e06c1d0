import type { Clock } from 'cloakroom';
import type { SecurityEventType } from 'cloakroom/events';
import type { ActivityLog } from './log.js';

/** How long a user's activity is kept (and shown): 90 days. */
export const ACTIVITY_RETENTION_MS = 90 * 24 * 3600_000;

/** One stored security event of one user. Never a token, cookie or password (the events carry none). */
export interface ActivityRecord {
  /** Increasing per database: breaks ties between events of the same millisecond. */
  id: number;
  userId: string;
  at: number;
  type: SecurityEventType;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** The event's own fields (`method`, `reason`, `by`, `count`…), as JSON text. */
  details: string;
}

/** Where a page of activity starts: strictly older than this event. */
export interface ActivityPosition {
  at: number;
  id: number;
}

/**
 * Users' recent security events in the site's database (SQLite or PostgreSQL, beside the notes). A failing
 * database rejects with `StoreUnavailableError`.
 */
export interface ActivityRepository {
  record(entry: Omit<ActivityRecord, 'id'>): Promise<void>;
  /**
   * The user's events at or after `since`, newest first, strictly older than `before` when given; at most
   * `limit`.
   */
  list(
    userId: string,
    options: { since: number; before: ActivityPosition | null; limit: number },
  ): Promise<ActivityRecord[]>;
  /** Deletes every event older than `before`; resolves to how many. */
  prune(before: number): Promise<number>;
}

/** The site's activity services: where events are kept, the subscriber that writes them, the clock. */
export interface SiteActivity {
  repository: ActivityRepository;
  log: ActivityLog;
  clock: Clock;
}
