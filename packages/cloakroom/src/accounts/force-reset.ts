import { storeCall } from '../lib/store-call.js';
import type { SessionManager } from '../session/index.js';
import { UNUSABLE_PASSWORD_HASH } from './password-hash.js';
import type { AccountRecovery } from './recovery.js';
import type { UserRecord, UserStore } from './types.js';

export interface ForcePasswordResetOptions<U> {
  users: UserStore;
  sessions: SessionManager<U>;
  /** Mails the user a reset link; without it (no mail configured) the user asks for one on "Forgot password". */
  recovery?: AccountRecovery<U>;
}

export interface ForcePasswordResetResult {
  /** Sessions ended (with their refresh tokens, when the session store revokes them). */
  sessionsEnded: number;
  /** Whether a reset link was stored and its mail handed to the mailer. */
  mailed: boolean;
}

/**
 * An operator's forced password reset (`cloakroom admin force-reset`), in this order: the password stops
 * working (its hash becomes {@link UNUSABLE_PASSWORD_HASH}: every sign-in with it answers
 * `invalid_credentials`, after the same work as a wrong password), then every session of the user ends
 * (reported as `session.revoked` by `admin`), then, with `recovery`, the user is mailed a reset link. An account
 * without a password keeps none and is mailed a link too, with which it can set one.
 *
 * @example
 * ```ts
 * const user = await users.findByEmail('ada@example.com');
 * if (user) await forcePasswordReset(user, { users, sessions, recovery });
 * ```
 */
export async function forcePasswordReset<U>(
  user: UserRecord,
  options: ForcePasswordResetOptions<U>,
): Promise<ForcePasswordResetResult> {
  const { users, sessions, recovery } = options;
  if (user.passwordHash !== null) {
    await storeCall('users.setPasswordHash', () => users.setPasswordHash(user.id, UNUSABLE_PASSWORD_HASH));
  }
  const sessionsEnded = await sessions.revokeUserSessions(user.id, { by: 'admin' });
  if (recovery === undefined) return { sessionsEnded, mailed: false };
  await recovery.sendPasswordResetLink({ id: user.id, email: user.email });
  return { sessionsEnded, mailed: true };
}
