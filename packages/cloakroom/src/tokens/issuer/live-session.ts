import type { Clock } from '../../clock.js';
import { isExpired, toSession, type Session } from '../../session/session.js';
import { storeCall } from '../../session/store-call.js';
import type { SessionStore } from '../../stores/types.js';

/**
 * The session `sessionId` of `userId` and its user, read in one store round trip, or `null` when it has
 * ended (gone, expired, another user's, or the user is gone). What a token bound to a session (`sid`) is
 * checked against: a family or an access token never outlives its session. A store failure rejects with
 * `store_unavailable`, never reads as "ended".
 *
 * @example
 * ```ts
 * const isSessionLive = async (sid: string, userId: string) =>
 *   (await readLiveSession(sessionStore, sid, userId, clock)) !== null;
 * ```
 */
export async function readLiveSession<U>(
  store: SessionStore<U>,
  sessionId: string,
  userId: string,
  clock: Clock,
): Promise<{ session: Session; user: U } | null> {
  const found = await storeCall('get', () => store.get(sessionId));
  if (found === null || found.user === null) return null;
  const { session, user } = found;
  if (session.userId !== userId || isExpired(session, clock.now())) return null;
  return { session: toSession(session), user };
}
