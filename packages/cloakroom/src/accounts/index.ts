export { Accounts, type AccountsOptions, type Credentials } from './accounts.js';
export { normalizeEmail } from './email.js';
export {
  AccountRecovery,
  VERIFY_REQUEST_LIMIT,
  RESET_ADDRESS_LIMIT,
  RESET_IP_LIMIT,
  type AccountRecoveryOptions,
  type RateLimit,
  type RecoveryLimits,
  type VerifiedAccountUser,
} from './recovery.js';
export { Mailer, type MailerOptions, type MailFailure } from './mail/mailer.js';
export { MemoryMailTransport, type MailMessage, type MailTransport } from './mail/transport.js';
export {
  DEFAULT_MAIL_TEMPLATES,
  type LinkMailContext,
  type MailContent,
  type MailContext,
  type MailTemplates,
} from './mail/templates.js';
export { generateOneTimeToken, hashOneTimeToken } from './one-time-token.js';
export {
  EmailTakenError,
  EmailUnverifiedError,
  AccountLockedError,
  InvalidOneTimeTokenError,
  InvalidCodeError,
  InvalidCredentialsError,
  InvalidPasskeyError,
  TooManyAttemptsError,
  TwoFactorNotEnabledError,
  WeakPasswordError,
  type WeakPasswordReason,
} from './errors.js';
export {
  PasswordHasher,
  OWASP_ARGON2ID,
  UNUSABLE_PASSWORD_HASH,
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
export { MemoryUserStore, MemoryAttemptStore, MemoryOneTimeTokenStore } from './stores/memory.js';
export type {
  AccountUser,
  AttemptRecord,
  AttemptStore,
  OneTimeTokenPurpose,
  OneTimeTokenRecord,
  OneTimeTokenStore,
  RecoveryUserStore,
  UserLockStore,
  UserRecord,
  UserStore,
} from './types.js';
export { assertNotLocked, isLocked } from './lock.js';
export {
  forcePasswordReset,
  type ForcePasswordResetOptions,
  type ForcePasswordResetResult,
} from './force-reset.js';
export { MemoryIdentityStore } from './stores/identities/memory.js';
export type { IdentityLink, IdentityStore, UnlinkResult } from './identities.js';
export {
  TwoFactor,
  type CompletedSignIn,
  type SecondFactorInput,
  type SecondFactorKind,
  type TwoFactorOptions,
} from './mfa/two-factor.js';
export { TotpSecretBox, type SecretBoxKey } from './mfa/secret-box.js';
export { MemoryMfaStore, MemoryPendingSignInStore } from './mfa/stores/memory.js';
export { hashRecoveryCode, RECOVERY_CODE_COUNT } from './mfa/codes.js';
export { TOTP_DIGITS, TOTP_PERIOD_SECONDS } from './mfa/totp.js';
export type { MfaStore, PendingSignInRecord, PendingSignInStore, TotpRecord } from './mfa/types.js';
export { pendingSignInCookie, type PendingSignInCookie } from './mfa/pending-cookie.js';
export {
  Passkeys,
  MAX_PASSKEY_NAME_LENGTH,
  type PasskeyAmr,
  type PasskeyAssertion,
  type PasskeyOptionsJSON,
  type PasskeysOptions,
} from './passkeys/passkeys.js';
export type { PasskeyPurpose } from './passkeys/challenges.js';
export { relyingPartyFromOrigin, type RelyingParty } from './passkeys/relying-party.js';
export type { PasskeyChallengeStore, PasskeyRecord, PasskeyStore, PasskeyUse } from './passkeys/types.js';
export { MemoryPasskeyChallengeStore, MemoryPasskeyStore } from './stores/passkeys/memory.js';
