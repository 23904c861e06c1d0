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

/** Sign-in throttling by account and by client address, over a shared {@link AttemptStore}. */
export class SignInThrottle {
  readonly #store: AttemptStore;
  readonly #clock: Clock;
  readonly #account: ThrottleRule;
  readonly #address: ThrottleRule;

  constructor(
    store: AttemptStore,
    clock: Clock,
    rules: { account?: ThrottleRule; address?: ThrottleRule } = {},
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#account = rules.account ?? ACCOUNT_RULE;
    this.#address = rules.address ?? ADDRESS_RULE;
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
   * 0 after counting it as a failure of the account *before* the password is checked, so that attempts made
   * in parallel (in this process or another) see each other and cannot all slip past the delays and the cap.
   * Follow with {@link recordSuccess} (which clears the count) or {@link recordAddressFailure}.
   */
  async begin(email: string, ip: string | null): Promise<number> {
    const now = this.#clock.now();
    const windowMs = this.#account.windowSeconds * 1000;
    const [account, address] = await Promise.all([
      storeCall('attempts.get', () => this.#store.get(accountKey(email))),
      ip === null ? null : storeCall('attempts.get', () => this.#store.get(addressKey(ip))),
    ]);
    const wait = Math.max(
      retryAfterMs(account, this.#account, now),
      retryAfterMs(address, this.#address, now),
    );
    if (wait > 0) return wait;
    const counted = await storeCall('attempts.recordFailure', () =>
      this.#store.recordFailure(accountKey(email), now, windowMs),
    );
    const alone = account === null || account.windowStartedAt + windowMs <= now ? 1 : account.failures + 1;
    if (counted.failures === alone) return 0;
    // Other attempts were counted between the read and the count: this one comes after them, now.
    return retryAfterMs({ ...counted, failures: counted.failures - 1 }, this.#account, now);
  }

  /** Counts a failed attempt against the client's address (the account's was counted by {@link begin}). */
  async recordAddressFailure(ip: string | null): Promise<void> {
    if (ip === null) return;
    const now = this.#clock.now();
    await storeCall('attempts.recordFailure', () =>
      this.#store.recordFailure(addressKey(ip), now, this.#address.windowSeconds * 1000),
    );
  }

  /** A successful sign-in clears the account's count (not the address's: one good account must not reset it). */
  async recordSuccess(email: string): Promise<void> {
    await storeCall('attempts.clear', () => this.#store.clear(accountKey(email)));
  }

  /** Drops counters whose windows are over. */
  async sweep(): Promise<number> {
    const longest = Math.max(this.#account.windowSeconds, this.#address.windowSeconds) * 1000;
    return storeCall('attempts.deleteExpired', () => this.#store.deleteExpired(this.#clock.now() - longest));
  }
}

// Keys are hashed so the throttle table holds no email addresses or IPs in clear.
const accountKey = (email: string) => `a:${hash('sha256', email, 'base64url')}`;
const addressKey = (ip: string) => `i:${hash('sha256', ip, 'base64url')}`;
