import { hash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { storeCall } from '../lib/store-call.js';
import type { AttemptRecord, AttemptStore } from './types.js';

/** How failures under one key are limited. */
export interface ThrottleRule {
  /** Failures allowed in a window; past it, refuse until the window ends. */
  limit: number;
  windowSeconds: number;
  /** Failures allowed without delay; after them each attempt waits twice as long as the last. */
  freeFailures: number;
  /** The longest delay between attempts before the hard limit. */
  maxDelaySeconds: number;
}

/**
 * Per account: 5 free failures, then 1 s, 2 s, 4 s … up to 15 minutes between attempts, and never more than
 * 100 failures an hour (in practice ~20 an hour get through the delays).
 */
export const ACCOUNT_RULE: ThrottleRule = {
  limit: 100,
  windowSeconds: 3600,
  freeFailures: 5,
  maxDelaySeconds: 900,
};

/**
 * Per client address, across accounts (credential stuffing): generous, because many people can share one
 * address behind a NAT — 50 free failures, then growing delays up to a minute, and at most 1,000 an hour.
 */
export const ADDRESS_RULE: ThrottleRule = {
  limit: 1000,
  windowSeconds: 3600,
  freeFailures: 50,
  maxDelaySeconds: 60,
};

/**
 * Per client address, registrations (new accounts and taken emails alike: either answer tells whether an email
 * has an account, and each costs an argon2 hash): the numbers of {@link ADDRESS_RULE}, for the same reason
 * (many people can share an address) — 50 free, then growing delays up to a minute (about 60 more an hour),
 * and at most 1,000 an hour.
 */
export const REGISTRATION_RULE: ThrottleRule = { ...ADDRESS_RULE };

/** The rules of a {@link SignInThrottle}; each defaults to the constant of that name. */
export interface ThrottleRules {
  account?: ThrottleRule;
  address?: ThrottleRule;
  registration?: ThrottleRule;
}

/** Milliseconds until the key may try again under `rule`, or 0. */
export function retryAfterMs(record: AttemptRecord | null, rule: ThrottleRule, now: number): number {
  if (record === null) return 0;
  const windowEnd = record.windowStartedAt + rule.windowSeconds * 1000;
  if (windowEnd <= now) return 0;
  if (record.failures >= rule.limit) return windowEnd - now;
  if (record.failures < rule.freeFailures) return 0;
  const delayMs = Math.min(2 ** (record.failures - rule.freeFailures), rule.maxDelaySeconds) * 1000;
  return Math.max(0, record.lastFailureAt + delayMs - now);
}

/**
 * Sign-in throttling by account and by client address, and registration throttling by client address, over a
 * shared {@link AttemptStore}.
 */
export class SignInThrottle {
  readonly #store: AttemptStore;
  readonly #clock: Clock;
  readonly #account: ThrottleRule;
  readonly #address: ThrottleRule;
  readonly #registration: ThrottleRule;

  constructor(store: AttemptStore, clock: Clock, rules: ThrottleRules = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#account = rules.account ?? ACCOUNT_RULE;
    this.#address = rules.address ?? ADDRESS_RULE;
    this.#registration = rules.registration ?? REGISTRATION_RULE;
  }

  /** Milliseconds until this account and address may try again (0: now). */
  async retryAfter(email: string, ip: string | null): Promise<number> {
    const now = this.#clock.now();
    const [account, address] = await Promise.all([
      storeCall('attempts.get', () => this.#store.get(accountKey(email))),
      ip === null ? null : storeCall('attempts.get', () => this.#store.get(addressKey(ip))),
    ]);
    return Math.max(retryAfterMs(account, this.#account, now), retryAfterMs(address, this.#address, now));
  }

  /**
   * Checks and starts one sign-in attempt: resolves to the milliseconds to wait (the attempt is refused), or to
   * 0 after counting it as a failure of the account and of the address *before* the password is checked, so
   * that attempts made in parallel (in this process or another) see each other and cannot all slip past the
   * delays and the caps. Follow with {@link recordSuccess} when the password is right; a wrong one stays
   * counted.
   */
  async begin(email: string, ip: string | null): Promise<number> {
    const now = this.#clock.now();
    const { wait, counted } = await this.#count(this.#counters(email, ip), now);
    // Counted, then refused after all: not a failure from the address, which many people may share (the
    // account's count stays, as a refused attempt's does).
    if (counted && wait > 0) await this.#forgiveAddress(ip, now);
    return wait;
  }

  /**
   * {@link begin} for a sign-in that names no account before its proof (a discoverable passkey): counts
   * the attempt against the address only. Without an address there is nothing to count. Follow with
   * {@link forgiveAddress} on success.
   */
  async beginByAddress(ip: string | null): Promise<number> {
    if (ip === null) return 0;
    const { wait } = await this.#count([{ key: addressKey(ip), rule: this.#address }], this.#clock.now());
    return wait;
  }

  /** Takes back the failure {@link beginByAddress} counted against the address. */
  forgiveAddress(ip: string | null): Promise<void> {
    return this.#forgiveAddress(ip, this.#clock.now());
  }

  /**
   * Checks and counts one registration from `ip` (before any hashing, so parallel ones see each other):
   * resolves to the milliseconds to wait (refused), or 0. Without an address there is nothing to count.
   */
  async beginRegistration(ip: string | null): Promise<number> {
    if (ip === null) return 0;
    const { wait } = await this.#count(
      [{ key: registrationKey(ip), rule: this.#registration }],
      this.#clock.now(),
    );
    return wait;
  }

  /**
   * A successful sign-in clears the account's count, and takes back the failure {@link begin} counted against
   * the address (without clearing the rest: one good account must not reset the address).
   */
  async recordSuccess(email: string, ip: string | null = null): Promise<void> {
    await Promise.all([
      storeCall('attempts.clear', () => this.#store.clear(accountKey(email))),
      this.#forgiveAddress(ip, this.#clock.now()),
    ]);
  }

  async #forgiveAddress(ip: string | null, now: number): Promise<void> {
    if (ip === null) return;
    await storeCall('attempts.forgiveFailure', () =>
      this.#store.forgiveFailure(addressKey(ip), now, this.#address.windowSeconds * 1000),
    );
  }

  /**
   * Refuses (with the wait owed, not counted) when a counter is over its rule; else counts the attempt under
   * every counter, with a wait of 0, or of what is owed when other attempts were counted between the read and
   * this count (it comes after them).
   */
  async #count(counters: Counter[], now: number): Promise<{ wait: number; counted: boolean }> {
    const read = await Promise.all(
      counters.map(async (counter) => ({
        ...counter,
        read: await storeCall('attempts.get', () => this.#store.get(counter.key)),
      })),
    );
    const wait = Math.max(0, ...read.map(({ read, rule }) => retryAfterMs(read, rule, now)));
    if (wait > 0) return { wait, counted: false };
    const waits = await Promise.all(
      read.map(async ({ key, rule, read }) => {
        const counted = await storeCall('attempts.recordFailure', () =>
          this.#store.recordFailure(key, now, rule.windowSeconds * 1000),
        );
        return racedWait(read, counted, rule, now);
      }),
    );
    return { wait: Math.max(0, ...waits), counted: true };
  }

  #counters(email: string, ip: string | null): Counter[] {
    const account = { key: accountKey(email), rule: this.#account };
    return ip === null ? [account] : [account, { key: addressKey(ip), rule: this.#address }];
  }

  /** Drops counters whose windows are over. */
  async sweep(): Promise<number> {
    const longest =
      Math.max(this.#account.windowSeconds, this.#address.windowSeconds, this.#registration.windowSeconds) *
      1000;
    return storeCall('attempts.deleteExpired', () => this.#store.deleteExpired(this.#clock.now() - longest));
  }
}

interface Counter {
  key: string;
  rule: ThrottleRule;
}

/**
 * The wait for an attempt just counted as `counted` after reading `read`: 0 when no other attempt was counted
 * in between, else the wait owed after those others (this attempt comes after them, now).
 */
function racedWait(
  read: AttemptRecord | null,
  counted: AttemptRecord,
  rule: ThrottleRule,
  now: number,
): number {
  const windowMs = rule.windowSeconds * 1000;
  const alone = read === null || read.windowStartedAt + windowMs <= now ? 1 : read.failures + 1;
  if (counted.failures === alone) return 0;
  return retryAfterMs({ ...counted, failures: counted.failures - 1 }, rule, now);
}

// Keys are hashed so the throttle table holds no email addresses or IPs in clear.
const accountKey = (email: string) => `a:${hash('sha256', email, 'base64url')}`;
const addressKey = (ip: string) => `i:${hash('sha256', ip, 'base64url')}`;
const registrationKey = (ip: string) => `r:${hash('sha256', ip, 'base64url')}`;
