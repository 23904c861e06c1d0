import type { SessionConfig } from './config.js';
import { requireIndex } from './revoke.js';
import { isExpired, toSession, type Session } from './session.js';
import { storeCall } from '../lib/store-call.js';

/** A user's live sessions, most recently used first: the "your sessions" page. */
export async function listUserSessions<U>(config: SessionConfig<U>, userId: string): Promise<Session[]> {
  if (typeof userId !== 'string') throw new TypeError('userId must be a string');
  const index = requireIndex(config);
  const records = await storeCall('listByUser', () => index.listByUser(userId));
  const now = config.clock.now();
  return records
    .filter((record) => !isExpired(record, now))
    .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
    .map(toSession);
}
