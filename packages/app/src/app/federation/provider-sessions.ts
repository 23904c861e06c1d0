import { hash } from 'node:crypto';
import type { Clock } from 'cloakroom';
import type { FederationStateStore } from 'cloakroom/federation';
import type { SessionStore } from 'cloakroom/stores';

/**
 * Which local sessions a provider session (`sid`) signed in, kept in the federation state store in two
 * records: the set of session ids under the provider session (what back-channel logout ends), and, per
 * local session, the provider session it belongs to (what a rotation needs to find its set). The issuer is
 * part of the key: a `sid` is unique per provider only. Callers pass the relying party's `issuer`, the one
 * discovery checked byte for byte, so the key written at sign-in and the key read at logout are one value.
 */
export const providerSessionKey = (issuer: string, sid: string): string =>
  `sid:${hash('sha256', `${issuer}\n${sid}`, 'base64url')}`;

/** The record naming the provider session of one local session (session ids are public handles). */
const sessionLinkKey = (sessionId: string): string => `sid-of:${sessionId}`;

/** Records that the local session `sessionId` was signed in by the provider session under `key`. */
export async function linkProviderSession(
  state: FederationStateStore,
  key: string,
  session: { id: string; absoluteExpiresAt: number },
  now: number,
): Promise<void> {
  await state.addMember(key, session.id, session.absoluteExpiresAt, now);
  await state.put(sessionLinkKey(session.id), key, session.absoluteExpiresAt, now);
}

/**
 * Wraps the site's session store so that a rotation (a new id after a password change) keeps the session
 * in its provider session's set: every rotation goes through `replace`, so no caller can forget it. The
 * successor joins the set before the swap, so a back-channel logout that runs in between ends the old
 * session and the swap then finds nothing to replace (the successor never lives), and one that runs after
 * finds the successor.
 */
export function followProviderSessions<U>(
  store: SessionStore<U>,
  state: FederationStateStore,
  clock: Clock,
): SessionStore<U> {
  const wrapped: SessionStore<U> = {
    get: (id) => store.get(id),
    create: (session) => store.create(session),
    touch: (id, touch) => store.touch(id, touch),
    replace: async (id, version, next) => {
      const now = clock.now();
      const key = await state.take(sessionLinkKey(id), now);
      if (key === null) return store.replace(id, version, next);
      await linkProviderSession(state, key, next, now);
      let replaced = false;
      try {
        replaced = await store.replace(id, version, next);
        return replaced;
      } finally {
        // Not swapped (gone, changed, or the store failed): the old session keeps its link, if it lives.
        if (!replaced) await state.put(sessionLinkKey(id), key, next.absoluteExpiresAt, now);
      }
    },
    delete: (id) => store.delete(id),
    ...(store.index === undefined ? {} : { index: store.index }),
    // Reads pass through unchanged, so the inner store's synchronous read may too.
    ...(store.immediate === undefined ? {} : { immediate: store.immediate }),
  };
  const tag = store.sessionIdTag?.bind(store);
  if (tag !== undefined) wrapped.sessionIdTag = tag;
  return wrapped;
}
