import type { SessionIndex } from '../stores/index.js';
import type { SessionConfig } from './config.js';
import { storeCall } from '../lib/store-call.js';
import { emitEvent, type RevokedBy } from '../events/index.js';

/**
 * Who asked for a revocation, for the `session.revoked` event: `by` (default `system`), the user whose
 * session it is when the caller knows it, and the request's address and user agent when there is one.
 */
export interface RevokeOptions {
  by?: RevokedBy;
  userId?: string;
  ip?: string | null;
  userAgent?: string | null;
}

/** Ends one session by its public id. Resolves once the store has recorded it. */
export async function revokeSession<U>(config: SessionConfig<U>, sessionId: string): Promise<void> {
  if (typeof sessionId !== 'string') throw new TypeError('sessionId must be a string');
  await storeCall('delete', () => config.store.delete(sessionId));
}

/** {@link revokeSession}, then the `session.revoked` event (the public `SessionManager.revoke`). */
export async function revokeSessionAs<U>(
  config: SessionConfig<U>,
  sessionId: string,
  options: RevokeOptions = {},
): Promise<void> {
  await revokeSession(config, sessionId);
  if (config.onEvent !== null) {
    emitEvent(config.onEvent, {
      type: 'session.revoked',
      at: config.clock.now(),
      by: options.by ?? 'system',
      ...(options.userId === undefined ? {} : { userId: options.userId }),
      sessionId,
      count: 1,
      ip: options.ip ?? null,
      userAgent: options.userAgent ?? null,
    });
  }
}

/** {@link revokeUserSessions}, then the `session.revoked` event (the public `SessionManager.revokeUserSessions`). */
export async function revokeUserSessionsAs<U>(
  config: SessionConfig<U>,
  userId: string,
  options: { except?: string } & RevokeOptions = {},
): Promise<number> {
  const count = await revokeUserSessions(
    config,
    userId,
    options.except === undefined ? {} : { except: options.except },
  );
  if (count > 0 && config.onEvent !== null) {
    emitEvent(config.onEvent, {
      type: 'session.revoked',
      at: config.clock.now(),
      by: options.by ?? 'system',
      userId,
      count,
      ip: options.ip ?? null,
      userAgent: options.userAgent ?? null,
    });
  }
  return count;
}

/**
 * Ends all of a user's sessions ("sign out everywhere"), or all but `except` (after a password change, say).
 * Resolves to the number ended.
 */
export async function revokeUserSessions<U>(
  config: SessionConfig<U>,
  userId: string,
  options: { except?: string } = {},
): Promise<number> {
  if (typeof userId !== 'string') throw new TypeError('userId must be a string');
  const index = requireIndex(config);
  return storeCall('deleteByUser', () => index.deleteByUser(userId, options));
}

/** Removes expired sessions from the store; resolves to how many were removed. */
export async function sweepExpiredSessions<U>(config: SessionConfig<U>): Promise<number> {
  const index = requireIndex(config);
  return storeCall('deleteExpired', () => index.deleteExpired(config.clock.now()));
}

/** The one place that checks whether a store has the optional index abilities. */
export function requireIndex<U>(config: SessionConfig<U>): SessionIndex {
  const { index } = config.store;
  if (index === undefined) {
    throw new TypeError("this store cannot list or revoke a user's sessions (it has no session index)");
  }
  return index;
}
