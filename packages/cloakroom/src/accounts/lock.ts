import { AccountLockedError } from './errors.js';
import type { UserRecord } from './types.js';

/** Whether an operator locked the account (`UserRecord.lockedAt` set). */
export function isLocked(user: Pick<UserRecord, 'lockedAt'>): boolean {
  return user.lockedAt !== null && user.lockedAt !== undefined;
}

/**
 * Refuses a locked account with `AccountLockedError` (403 `account_locked`). Every way into an account calls
 * it once the account is known and its proof checked (password sign-in after the password, a reset link
 * before it is used, federated sign-in after the provider's answer); a new sign-in method does the same
 * through `Accounts.assertCanSignIn`.
 *
 * @example
 * ```ts
 * const user = await users.findById(userId);
 * if (user !== null) assertNotLocked(user);
 * ```
 */
export function assertNotLocked(user: Pick<UserRecord, 'lockedAt'>): void {
  if (isLocked(user)) throw new AccountLockedError();
}
