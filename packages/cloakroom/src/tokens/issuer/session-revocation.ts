import type { SessionIndex, SessionRecord, SessionStore, SessionTouch } from '../../stores/index.js';
import type { RefreshTokens } from './refresh.js';

/**
 * Wraps a session store so that every way a session ends also ends the refresh-token families minted
 * from it: a deleted session (signing out, revoking it from "your sessions"), a replaced one (rotation after
 * a password change: the old id is gone, and so are its families), and a user's sessions deleted in bulk
 * (signing out everywhere, the other sessions after a password change). The families are revoked first, so
 * a failure leaves the session alive and its tokens dead, never the reverse.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({ store: revokeRefreshTokensWithSessions(store, refresh), ... });
 * ```
 */
export function revokeRefreshTokensWithSessions<U>(
  store: SessionStore<U>,
  refresh: RefreshTokens,
): SessionStore<U> {
  const index = store.index;
  const wrapped: SessionStore<U> = {
    get: (id) => store.get(id),
    create: (session: SessionRecord) => store.create(session),
    touch: (id: string, touch: SessionTouch) => store.touch(id, touch),
    replace: async (id, version, next) => {
      await refresh.revokeFamilies({ sessionId: id }, 'session_ended');
      return store.replace(id, version, next);
    },
    delete: async (id) => {
      await refresh.revokeFamilies({ sessionId: id }, 'session_ended');
      await store.delete(id);
    },
    ...(index === undefined ? {} : { index: wrapIndex(index, refresh) }),
    // Reads pass through unchanged (only endings revoke families), so the inner store's synchronous read may
    // too: without it every validation of the site's SQLite sessions awaited a promise it did not need.
    ...(store.immediate === undefined ? {} : { immediate: store.immediate }),
  };
  const tag = store.sessionIdTag?.bind(store);
  if (tag !== undefined) wrapped.sessionIdTag = tag;
  return wrapped;
}

function wrapIndex(index: SessionIndex, refresh: RefreshTokens): SessionIndex {
  return {
    listByUser: (userId) => index.listByUser(userId),
    deleteExpired: (now) => index.deleteExpired(now),
    ...(index.counter === undefined ? {} : { counter: index.counter }),
    deleteByUser: async (userId, options = {}) => {
      await refresh.revokeFamilies(
        options.except === undefined ? { userId } : { userId, exceptSessionId: options.except },
        'user_sessions_ended',
      );
      return index.deleteByUser(userId, options);
    },
  };
}
