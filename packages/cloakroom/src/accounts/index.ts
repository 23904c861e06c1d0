export { Accounts, type AccountsOptions, type Credentials } from './accounts.js';
export { normalizeEmail } from './email.js';
export {
  EmailTakenError,
  InvalidCredentialsError,
  TooManyAttemptsError,
  WeakPasswordError,
  type WeakPasswordReason,
} from './errors.js';
export {
  PasswordHasher,
  OWASP_ARGON2ID,
  type Argon2Parameters,
  type PasswordCheck,
} from './password-hash.js';
export {
  checkNewPassword,
  normalizePassword,
  MIN_PASSWORD_LENGTH,
  MAX_PASSWORD_LENGTH,
} from './password-policy.js';
export {
  SignInThrottle,
  ACCOUNT_RULE,
  ADDRESS_RULE,
  REGISTRATION_RULE,
  retryAfterMs,
  type ThrottleRule,
  type ThrottleRules,
} from './throttle.js';
export { MemoryUserStore, MemoryAttemptStore } from './stores/memory.js';
export type { AccountUser, AttemptRecord, AttemptStore, UserRecord, UserStore } from './types.js';
export { MemoryIdentityStore } from './stores/identities/memory.js';
export type { IdentityLink, IdentityStore, UnlinkResult } from './identities.js';
