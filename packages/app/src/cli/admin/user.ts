import type { UserRecord } from 'cloakroom/accounts';
import { iso } from './context.js';

/** An account as every `admin … --json` prints it. */
export const userJson = (user: UserRecord) => ({
  id: user.id,
  email: user.email,
  emailVerified: user.emailVerified === true,
  locked: user.lockedAt !== null && user.lockedAt !== undefined,
  lockedAt: user.lockedAt === null || user.lockedAt === undefined ? null : iso(user.lockedAt),
});

/** The account in one line of text. */
export function userLine(user: UserRecord): string {
  const locked =
    user.lockedAt === null || user.lockedAt === undefined ? '' : `, LOCKED since ${iso(user.lockedAt)}`;
  return `${user.email} (user ${user.id}${user.emailVerified === true ? '' : ', email not verified'}${locked})`;
}
