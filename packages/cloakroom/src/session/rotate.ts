import type { SessionConfig } from './config.js';
import {
  authFields,
  issue,
  newRecord,
  type IssuedSession,
  type SessionAuth,
  type SessionMetadata,
} from './create.js';
import { mergeAmr } from './recent-auth.js';
import type { Session } from './session.js';
import { storeCall } from '../lib/store-call.js';
import { checkAmr } from '../stores/index.js';

/** Options of {@link rotateSession}. */
export interface RotateSessionOptions {
  /**
   * The user just proved who they are again (re-authentication): the successor gets `authTime` = `time`
   * (default now) and the union of the session's `amr` and these (plus `mfa` once two factor kinds are in
   * it). Without it the successor keeps the session's `authTime` and `amr`.
   */
  auth?: SessionAuth;
}

/**
 * Replaces a session's id and secret (after a privilege change, say), keeping its user, creation time,
 * authentication fields and absolute expiry: rotation never extends a session's life. The old token stops
 * working at once. Resolves to `null` when the session is already gone (revoked or expired), so a rotation
 * cannot revive it.
 */
export async function rotateSession<U>(
  config: SessionConfig<U>,
  session: Session,
  metadata: SessionMetadata = {},
  options: RotateSessionOptions = {},
): Promise<IssuedSession | null> {
  const now = config.clock.now();
  // Checked before any store call: misuse is a TypeError whatever the store holds.
  const auth = options.auth === undefined ? null : authFields(options.auth, now);
  const found = await storeCall('get', () => config.store.get(session.id));
  if (found === null) return null;
  const current = found.session;
  if (now >= current.expiresAt || now >= current.absoluteExpiresAt) return null;
  const next = newRecord(config, {
    authTime: auth?.authTime ?? current.authTime,
    amr: auth === null ? current.amr : checkAmr(mergeAmr(current.amr, auth.amr)),
    userId: current.userId,
    createdAt: current.createdAt,
    now,
    absoluteExpiresAt: current.absoluteExpiresAt,
    userAgent: metadata.userAgent ?? current.userAgent,
    ip: metadata.ip ?? current.ip,
  });
  const replaced = await storeCall('replace', () =>
    config.store.replace(current.id, current.version, next.record),
  );
  return replaced ? issue(config, next.record, next.token) : null;
}
