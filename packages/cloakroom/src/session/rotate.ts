import type { SessionConfig } from './config.js';
import { issue, newRecord, type IssuedSession, type SessionMetadata } from './create.js';
import type { Session } from './session.js';
import { storeCall } from '../lib/store-call.js';

/**
 * Replaces a session's id and secret (after a privilege change, say), keeping its user, creation time and
 * absolute expiry: rotation never extends a session's life. The old token stops working at once. Resolves
 * to `null` when the session is already gone (revoked or expired), so a rotation cannot revive it.
 */
export async function rotateSession<U>(
  config: SessionConfig<U>,
  session: Session,
  metadata: SessionMetadata = {},
): Promise<IssuedSession | null> {
  const found = await storeCall('get', () => config.store.get(session.id));
  if (found === null) return null;
  const current = found.session;
  const now = config.clock.now();
  if (now >= current.expiresAt || now >= current.absoluteExpiresAt) return null;
  const next = newRecord(config, {
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
