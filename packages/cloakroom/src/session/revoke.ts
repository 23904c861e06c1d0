import type { SessionIndex } from '../stores/index.js';
import type { SessionConfig } from './config.js';
import { storeCall } from '../lib/store-call.js';

/** Ends one session by its public id. Resolves once the store has recorded it. */
export async function revokeSession<U>(config: SessionConfig<U>, sessionId: string): Promise<void> {
  if (typeof sessionId !== 'string') throw new TypeError('sessionId must be a string');
  await storeCall('delete', () => config.store.delete(sessionId));
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
