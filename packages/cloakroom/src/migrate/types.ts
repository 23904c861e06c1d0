import type { RequestInfo } from '../session/index.js';

/**
 * Why a legacy credential was refused, counted per source in the migration store. The client never sees
 * it: a refused credential leaves the request anonymous, exactly as if it were absent.
 */
export type LegacyRefusalReason =
  /** Not in the legacy system's format at all. */
  | 'malformed'
  /** The signature or MAC does not verify (tampered, or made with a key that is not configured). */
  | 'bad_signature'
  /** Signed with `none` or an algorithm off the allowlist. */
  | 'algorithm'
  /** Past its `exp`, its seal's expiry or its cookie's expiry. */
  | 'expired'
  /** A required claim is missing or not as configured (`iss`, `aud`, the user claim). */
  | 'claims'
  /** The legacy session is not (or no longer) in the legacy store. */
  | 'not_found'
  /** The key set (JWKS) could not be fetched. */
  | 'key_unavailable'
  /** Verified, but no user of this site matches it. */
  | 'unknown_user'
  /** Already exchanged once: a copy of it is refused. */
  | 'replayed'
  /** Sent after `acceptUntil`. */
  | 'after_cutoff';

/** Where a legacy credential was found on the request. */
export interface FoundCredential {
  value: string;
  via: 'cookie' | 'bearer';
}

/** A legacy credential that verified by its own system's rules. */
export interface VerifiedCredential {
  /** The user, as the legacy system names it (the configured claim or field: an id, an email, …). */
  subject: string;
  /** The legacy credential's own end (ms since the epoch), or `null` when it has none. */
  expiresAt: number | null;
  /** What the migration remembers so a copy cannot be exchanged again (a `jti` or a hash, never the credential). */
  replayKey: string;
  /** The verified claims or session data, for the `findUser` hook. */
  data: Readonly<Record<string, unknown>>;
  /** Ends the credential at its origin after the exchange (express-session: destroys the stored session). */
  retire?: () => Promise<void>;
}

export type VerifyResult =
  { ok: true; credential: VerifiedCredential } | { ok: false; reason: LegacyRefusalReason };

/**
 * One legacy system the migration accepts credentials from. `find` and `verify` never throw for bad input:
 * a credential that does not verify is a refusal with a reason. `verify` rejects only when the legacy
 * store fails (`StoreUnavailableError`).
 */
export interface LegacySource {
  /** Names the source in counters and logs (`jwt`, `iron-session`, `express-session`, or your own). */
  readonly name: string;
  /** The credential the request carries for this source, or `null`; cheap, and never throws. */
  find(info: RequestInfo): FoundCredential | null;
  verify(value: string, now: number): Promise<VerifyResult>;
  /** The `Set-Cookie` that expires the legacy cookie (same name, path and domain), or `null` for none. */
  clearCookie(via: FoundCredential['via']): string | null;
}

/** A legacy cookie's name and the attributes it was set with, so it can be expired exactly. */
export interface LegacyCookie {
  name: string;
  /** Default `/`. */
  path?: string;
  domain?: string;
}

/**
 * Where the migration keeps what must hold across processes: the exchanged credentials (until they would
 * have expired anyway) and the counters. Rejections are store failures.
 */
export interface MigrationStore {
  /**
   * Records `key` as exchanged until `expiresAt` (ms). Resolves to `false` when it was already recorded and
   * has not expired: the caller must refuse the credential. Atomic: of two concurrent claims one wins.
   */
  claim(key: string, expiresAt: number, now: number): Promise<boolean>;
  /** Adds one to a counter. */
  increment(counter: string): Promise<void>;
  /** Every counter with its value. */
  counters(): Promise<Record<string, number>>;
}
