import { systemClock, type Clock } from '../../clock.js';
import { storeCall } from '../../lib/store-call.js';
import { InvalidCodeError, TooManyAttemptsError, TwoFactorNotEnabledError } from '../errors.js';
import { SignInThrottle, type ThrottleRules } from '../throttle.js';
import type { AccountUser, AttemptStore, UserStore } from '../types.js';
import {
  findHash,
  generatePendingToken,
  generateRecoveryCode,
  hashPendingToken,
  hashRecoveryCode,
  readRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './codes.js';
import type { TotpSecretBox } from './secret-box.js';
import { generateTotpSecret, matchTotpCode, readTotpCode, totpUrl } from './totp.js';
import type { MfaStore, PendingSignInRecord, PendingSignInStore } from './types.js';

export interface TwoFactorOptions {
  /** TOTP secrets (encrypted) and recovery codes (hashed). */
  store: MfaStore;
  /** Password sign-ins waiting for their second step. */
  pending: PendingSignInStore;
  /** Encrypts the TOTP secrets, with keys from the site's secrets. */
  secretBox: TotpSecretBox;
  users: UserStore;
  /** Where second-step failures are counted: the accounts' attempt store, so they add to sign-in failures. */
  attempts: AttemptStore;
  /** The name authenticator apps show above the account (`otpauth://totp/<issuer>:<email>`). */
  issuer: string;
  /** The sign-in throttling rules (the accounts' own, so a code is throttled like a password). */
  throttle?: ThrottleRules;
  clock?: Clock;
  /** How long a pending sign-in waits for its second step; default 300 (5 minutes). */
  pendingSeconds?: number;
}

/** What a second factor proved, as RFC 8176 `amr` values: a TOTP code `otp`; a recovery code too. */
export type SecondFactorKind = 'totp' | 'recovery_code';

/** A second factor as a request gives it: a TOTP code or a recovery code. */
export interface SecondFactorInput {
  code?: unknown;
  recoveryCode?: unknown;
}

/** A pending sign-in that its second step completed: the user, and the `amr` of the new session. */
export interface CompletedSignIn {
  user: AccountUser;
  amr: string[];
  method: SecondFactorKind;
}

/**
 * TOTP two-factor sign-in (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step), recovery codes, and the pending
 * second step of a password sign-in. Secrets are encrypted at rest (`TotpSecretBox`), a code is accepted
 * once only (the last accepted time step is kept and moved forward by compare-and-set), recovery codes are
 * ten single-use 80-bit codes stored as SHA-256, and the pending step is a 256-bit token stored hashed,
 * bound to the user, single use, expiring after 5 minutes, and throttled like sign-in.
 *
 * The class decides; the caller signs the request in (with the `amr` it is given), so it works with any
 * session layer and any pages.
 *
 * @example
 * ```ts
 * const user = await accounts.verifyCredentials(request, { email, password });
 * if (await twoFactor.isEnabled(user.id)) {
 *   const { token } = await twoFactor.beginSignIn(user.id, ['pwd']); // set it as the pending cookie
 * }
 * // …the next step:
 * const done = await twoFactor.completeSignIn(token, { code }, request.info.ip);
 * await request.signIn(done.user.id, done.user, { amr: done.amr });
 * ```
 */
export class TwoFactor {
  readonly #options: TwoFactorOptions;
  readonly #clock: Clock;
  readonly #throttle: SignInThrottle;
  readonly #pendingMs: number;

  constructor(options: TwoFactorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#throttle = new SignInThrottle(options.attempts, this.#clock, options.throttle);
    this.#pendingMs = (options.pendingSeconds ?? 300) * 1000;
  }

  /** Whether the user has two-factor sign-in on (TOTP enabled). */
  async isEnabled(userId: string): Promise<boolean> {
    const record = await storeCall('mfa.findTotp', () => this.#options.store.findTotp(userId));
    return record?.secret != null;
  }

  /** Two-factor state for a settings page: on or off, and how many recovery codes are left. */
  async status(userId: string): Promise<{ totp: boolean; recoveryCodesLeft: number }> {
    const [totp, codes] = await Promise.all([
      this.isEnabled(userId),
      storeCall('mfa.listRecoveryCodes', () => this.#options.store.listRecoveryCodes(userId)),
    ]);
    return { totp, recoveryCodesLeft: totp ? codes.length : 0 };
  }

  /**
   * Starts (or restarts) TOTP setup: a new secret, stored encrypted as pending, and its `otpauth://` URL.
   * Two-factor stays as it was (on with the old secret, or off) until `enableTotp` confirms a code.
   */
  async setupTotp(user: AccountUser): Promise<{ secret: string; otpauthUrl: string }> {
    const secret = generateTotpSecret();
    const sealed = this.#options.secretBox.encrypt(user.id, secret);
    await storeCall('mfa.setPendingTotp', () => this.#options.store.setPendingTotp(user.id, sealed));
    return { secret, otpauthUrl: totpUrl({ issuer: this.#options.issuer, account: user.email, secret }) };
  }

  /**
   * Confirms setup with a code from the app: the pending secret becomes the user's, the code's step is
   * recorded (it cannot be used again), and ten new recovery codes replace any old ones; they are returned
   * once, in the clear, and stored hashed. A wrong code, or no setup under way: `InvalidCodeError` (400).
   */
  async enableTotp(userId: string, input: { code?: unknown }): Promise<{ recoveryCodes: string[] }> {
    const refused = new InvalidCodeError({ status: 400 });
    const code = readTotpCode(input.code);
    if (code === null) throw refused;
    const record = await storeCall('mfa.findTotp', () => this.#options.store.findTotp(userId));
    const sealed = record?.pendingSecret ?? null;
    if (sealed === null) throw refused;
    const secret = this.#options.secretBox.decrypt(userId, sealed);
    if (secret === null) throw refused;
    const now = this.#clock.now();
    const step = matchTotpCode(secret, code, now);
    if (step === null) throw refused;
    const enabled = await storeCall('mfa.enableTotp', () =>
      this.#options.store.enableTotp(userId, sealed, step, now),
    );
    if (!enabled) throw refused;
    return { recoveryCodes: await this.#replaceRecoveryCodes(userId) };
  }

  /** Turns two-factor off: the secret and the recovery codes are deleted. `false` when it was not on. */
  async disableTotp(userId: string): Promise<boolean> {
    return storeCall('mfa.deleteTotp', () => this.#options.store.deleteTotp(userId));
  }

  /** Ten new recovery codes replace the old set (shown once). Two-factor must be on. */
  async regenerateRecoveryCodes(userId: string): Promise<string[]> {
    if (!(await this.isEnabled(userId))) throw new TwoFactorNotEnabledError();
    return this.#replaceRecoveryCodes(userId);
  }

  /**
   * Checks a second factor of a user (a TOTP code, or a recovery code, which is used up), without
   * throttling: `InvalidCodeError` (401) when it does not pass. Prefer `verifyThrottled` on any request a
   * stranger can make.
   */
  async verify(userId: string, input: SecondFactorInput): Promise<SecondFactorKind> {
    const refused = new InvalidCodeError();
    const { store } = this.#options;
    if (input.recoveryCode !== undefined && input.code === undefined) {
      const code = readRecoveryCode(input.recoveryCode);
      if (code === null || !(await this.isEnabled(userId))) throw refused;
      const hashes = await storeCall('mfa.listRecoveryCodes', () => store.listRecoveryCodes(userId));
      const found = findHash(hashes, hashRecoveryCode(code));
      if (found === null) throw refused;
      if (!(await storeCall('mfa.useRecoveryCode', () => store.useRecoveryCode(userId, found))))
        throw refused;
      return 'recovery_code';
    }
    const code = readTotpCode(input.code);
    if (code === null || input.recoveryCode !== undefined) throw refused;
    const record = await storeCall('mfa.findTotp', () => store.findTotp(userId));
    const secret = record?.secret == null ? null : this.#options.secretBox.decrypt(userId, record.secret);
    if (record === null || secret === null) throw refused;
    const step = matchTotpCode(secret, code, this.#clock.now(), record.lastStep);
    if (step === null) throw refused;
    // The compare-and-set: of two requests with the same code, one moves the step forward; the other is refused.
    if (!(await storeCall('mfa.acceptTotpStep', () => store.acceptTotpStep(userId, step)))) throw refused;
    return 'totp';
  }

  /**
   * `verify`, throttled by account and client address like a password sign-in (the same counters):
   * `TooManyAttemptsError` (429) before the code is looked at when there were too many failures.
   */
  async verifyThrottled(
    user: AccountUser,
    input: SecondFactorInput,
    ip: string | null,
  ): Promise<SecondFactorKind> {
    const wait = await this.#throttle.begin(user.email, ip);
    if (wait > 0) throw new TooManyAttemptsError(wait / 1000);
    const kind = await this.verify(user.id, input);
    await this.#throttle.recordSuccess(user.email, ip);
    return kind;
  }

  /**
   * Starts the pending second step after a correct password: a 256-bit token (stored as its SHA-256) bound
   * to the user, valid for `pendingSeconds`. Give the token to the browser in a cookie that grants nothing
   * else (living `maxAgeSeconds`); `amr` is what the first step proved (`['pwd']`).
   */
  async beginSignIn(
    userId: string,
    amr: readonly string[],
  ): Promise<{ token: string; expiresAt: number; maxAgeSeconds: number }> {
    const token = generatePendingToken();
    const now = this.#clock.now();
    const record: PendingSignInRecord = {
      hash: hashPendingToken(token) ?? '',
      userId,
      amr: [...amr],
      createdAt: now,
      expiresAt: now + this.#pendingMs,
    };
    await storeCall('mfaPending.create', () => this.#options.pending.create(record));
    return { token, expiresAt: record.expiresAt, maxAgeSeconds: this.#pendingMs / 1000 };
  }

  /** The pending sign-in of this token, or `null` (malformed, unknown, used or expired). */
  async findPendingSignIn(token: unknown): Promise<PendingSignInRecord | null> {
    const hash = hashPendingToken(token);
    if (hash === null) return null;
    const record = await storeCall('mfaPending.find', () => this.#options.pending.find(hash));
    return record === null || record.expiresAt <= this.#clock.now() ? null : record;
  }

  /**
   * Completes a pending sign-in with its second factor: checks the token (unknown, used or expired:
   * `InvalidCodeError`), the throttle (`TooManyAttemptsError`) and the code, then uses the token up (once,
   * even under concurrent requests). Resolves to the user and the new session's `amr`: the first step's, the
   * factor's (`otp`) and `mfa`. A wrong code leaves the pending sign-in for another try.
   */
  async completeSignIn(
    token: unknown,
    input: SecondFactorInput,
    ip: string | null,
  ): Promise<CompletedSignIn> {
    const { pending, user } = await this.#pendingUser(token);
    const method = await this.verifyThrottled(user, input, ip);
    const used = await storeCall('mfaPending.consume', () => this.#options.pending.consume(pending.hash));
    if (used === null) throw new InvalidCodeError();
    return { user, amr: [...new Set([...pending.amr, 'otp', 'mfa'])], method };
  }

  /**
   * Completes a pending sign-in with a second factor the caller verifies (a passkey assertion, say):
   * checks the token (`InvalidCodeError` when unknown, used or expired) and the throttle
   * (`TooManyAttemptsError`, the same counters as a code), then runs `verify` for the pending user. When
   * `verify` throws, its error goes through, the failure is counted and the pending sign-in stays for another
   * try; when it resolves the factor's `amr` values, the token is used up (once) and the new session's `amr`
   * is the first step's, the factor's and `mfa`.
   */
  async completeSignInWith(
    token: unknown,
    ip: string | null,
    verify: (user: AccountUser) => Promise<string[]>,
  ): Promise<{ user: AccountUser; amr: string[] }> {
    const { pending, user } = await this.#pendingUser(token);
    const wait = await this.#throttle.begin(user.email, ip);
    if (wait > 0) throw new TooManyAttemptsError(wait / 1000);
    const factor = await verify(user);
    await this.#throttle.recordSuccess(user.email, ip);
    const used = await storeCall('mfaPending.consume', () => this.#options.pending.consume(pending.hash));
    if (used === null) throw new InvalidCodeError();
    return { user, amr: [...new Set([...pending.amr, ...factor, 'mfa'])] };
  }

  async #pendingUser(token: unknown): Promise<{ pending: PendingSignInRecord; user: AccountUser }> {
    const pending = await this.findPendingSignIn(token);
    if (pending === null) throw new InvalidCodeError();
    const stored = await storeCall('users.findById', () => this.#options.users.findById(pending.userId));
    if (stored === null) throw new InvalidCodeError();
    return { pending, user: { id: stored.id, email: stored.email } };
  }

  /** Drops pending sign-ins that have expired. */
  sweepPending(): Promise<number> {
    return storeCall('mfaPending.deleteExpired', () =>
      this.#options.pending.deleteExpired(this.#clock.now()),
    );
  }

  async #replaceRecoveryCodes(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
    const hashes = codes.map(hashRecoveryCode);
    const now = this.#clock.now();
    await storeCall('mfa.replaceRecoveryCodes', () =>
      this.#options.store.replaceRecoveryCodes(userId, hashes, now),
    );
    return codes;
  }
}
