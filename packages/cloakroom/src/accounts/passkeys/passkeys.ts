import { systemClock, type Clock } from '../../clock.js';
import { storeCall } from '../../lib/store-call.js';
import { InvalidPasskeyError } from '../errors.js';
import type { AccountUser } from '../types.js';
import {
  saveAssertionChallenge,
  saveRegistrationChallenge,
  takeAssertionChallenge,
  takeRegistrationChallenge,
  type PasskeyPurpose,
} from './challenges.js';
import { loadSimpleWebAuthn } from './library.js';
import { relyingPartyFromOrigin, type RelyingParty } from './relying-party.js';
import { authenticationResponseSchema, registrationResponseSchema } from './response.js';
import type { PasskeyChallengeStore, PasskeyRecord, PasskeyStore } from './types.js';

export interface PasskeysOptions {
  /** The site's public origin (`CLOAKROOM_ORIGIN`): the RP ID is its host name, and ceremonies must come from it. */
  origin: string;
  /** The name authenticators show for the site. */
  rpName: string;
  store: PasskeyStore;
  challenges: PasskeyChallengeStore;
  clock?: Clock;
  /** How long a ceremony may take, from the options to the response. Default 300 s. */
  challengeTtlSeconds?: number;
}

/** The JSON a browser passes to `PublicKeyCredential.parseCreationOptionsFromJSON` / `…RequestOptionsFromJSON`. */
export interface PasskeyOptionsJSON {
  challenge: string;
  [member: string]: unknown;
}

/**
 * How a passkey proved the user (RFC 8176): `swk` for a backup-eligible credential (a synced passkey whose key
 * lives in a sync fabric), `hwk` for a device-bound one (a security key, or a platform key that never leaves
 * its device).
 */
export type PasskeyAmr = 'hwk' | 'swk';

/** A verified assertion: whose passkey it was, which one, and how it counts as a factor. */
export interface PasskeyAssertion {
  userId: string;
  passkey: PasskeyRecord;
  amr: PasskeyAmr;
}

/** The longest passkey name kept; longer ones are cut. */
export const MAX_PASSKEY_NAME_LENGTH = 64;

const amrOf = (passkey: PasskeyRecord): PasskeyAmr => (passkey.backupEligible ? 'swk' : 'hwk');
// The WebAuthn user handle is the user's id as bytes (at most 64, WebAuthn §5.4.3); it names no email.
const userHandleOf = (userId: string) => new TextEncoder().encode(userId);

/**
 * Passkeys (WebAuthn Level 3) on `@simplewebauthn/server`, an optional peer loaded on first use: registration
 * while signed in, a discoverable passkey as the whole sign-in (user verification required), a passkey as the
 * second step after a password, and re-authentication. Challenges are server-side, single-use and short-lived:
 * a registration's is bound to the user, an assertion's to a random handle the caller keeps in a cookie.
 * Every failure is `InvalidPasskeyError` (400 `invalid_passkey`), its reason in `cause`.
 *
 * Signature counters: an assertion whose counter does not grow past the stored one (when either is non-zero)
 * is refused, since it points to a cloned authenticator; the passkey itself is kept, for the user to remove.
 *
 * @example
 * ```ts
 * const passkeys = new Passkeys({ origin: 'https://example.com', rpName: 'Example', store, challenges });
 * const options = await passkeys.registrationOptions(user);   // to navigator.credentials.create
 * const passkey = await passkeys.register(user.id, responseJson);
 * ```
 */
export class Passkeys {
  readonly relyingParty: RelyingParty;
  readonly #store: PasskeyStore;
  readonly #challenges: PasskeyChallengeStore;
  readonly #clock: Clock;
  readonly #ttlMs: number;

  constructor(options: PasskeysOptions) {
    this.relyingParty = relyingPartyFromOrigin(options.origin, options.rpName);
    const ttl = options.challengeTtlSeconds ?? 300;
    if (!Number.isInteger(ttl) || ttl <= 0)
      throw new TypeError('challengeTtlSeconds must be a positive integer');
    this.#ttlMs = ttl * 1000;
    this.#store = options.store;
    this.#challenges = options.challenges;
    this.#clock = options.clock ?? systemClock;
  }

  /** The user's passkeys, oldest first. */
  list(userId: string): Promise<PasskeyRecord[]> {
    return storeCall('passkeys.list', () => this.#store.listByUser(userId));
  }

  /** Removes the user's passkey; `false` when the user has none with this id. */
  remove(userId: string, id: string): Promise<boolean> {
    return storeCall('passkeys.delete', () => this.#store.delete(userId, id));
  }

  /**
   * Removes all the user's passkeys, for an account being deleted (`AccountRecovery.deleteAccount` calls it
   * when given these passkeys); resolves to how many went.
   */
  removeAll(userId: string): Promise<number> {
    return storeCall('passkeys.deleteByUser', () => this.#store.deleteByUser(userId));
  }

  /** The creation options for a new passkey of `user` (a discoverable credential, user verification required). */
  async registrationOptions(user: AccountUser): Promise<PasskeyOptionsJSON> {
    const handle = userHandleOf(user.id);
    if (handle.length > 64)
      throw new TypeError('a user id longer than 64 bytes cannot be a WebAuthn user handle');
    const [lib, existing] = await Promise.all([loadSimpleWebAuthn(), this.list(user.id)]);
    const options = await lib.generateRegistrationOptions({
      rpName: this.relyingParty.name,
      rpID: this.relyingParty.id,
      userName: user.email,
      userDisplayName: user.email,
      userID: handle,
      timeout: this.#ttlMs,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    const now = this.#clock.now();
    await saveRegistrationChallenge(
      this.#challenges,
      { challenge: options.challenge, purpose: 'register', userId: user.id },
      now + this.#ttlMs,
      now,
    );
    return options as unknown as PasskeyOptionsJSON;
  }

  /**
   * Verifies a registration response (the attestation) against the user's pending challenge, which it uses
   * up, and stores the passkey. `name` defaults to "Passkey N".
   */
  async register(userId: string, response: unknown, options: { name?: string } = {}): Promise<PasskeyRecord> {
    const now = this.#clock.now();
    const pending = await takeRegistrationChallenge(this.#challenges, userId, now);
    const parsed = registrationResponseSchema.safeParse(response);
    if (pending === null) throw new InvalidPasskeyError({ cause: new Error('no pending registration') });
    if (!parsed.success) throw new InvalidPasskeyError({ cause: parsed.error });
    const lib = await loadSimpleWebAuthn();
    let verified: Awaited<ReturnType<typeof lib.verifyRegistrationResponse>>;
    try {
      verified = await lib.verifyRegistrationResponse({
        response: parsed.data,
        expectedChallenge: pending.challenge,
        expectedOrigin: this.relyingParty.origin,
        expectedRPID: this.relyingParty.id,
        requireUserVerification: true,
      });
    } catch (error) {
      throw new InvalidPasskeyError({ cause: error });
    }
    if (!verified.verified) throw new InvalidPasskeyError({ cause: new Error('registration not verified') });
    const info = verified.registrationInfo;
    const existing = await this.list(userId);
    const record: PasskeyRecord = {
      id: info.credential.id,
      userId,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: parsed.data.response.transports ?? [],
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      name: cleanName(options.name) ?? `Passkey ${String(existing.length + 1)}`,
      createdAt: now,
      lastUsedAt: null,
    };
    if (!(await storeCall('passkeys.create', () => this.#store.create(record)))) {
      throw new InvalidPasskeyError({ cause: new Error('credential already registered') });
    }
    return record;
  }

  /**
   * Request options for an assertion, and the handle that finds its challenge (keep it in a short-lived
   * HttpOnly cookie). For `sign_in` no user is named (the browser offers the discoverable passkeys) and user
   * verification is required; for `second_factor` and `reauthenticate` the user's passkeys are listed, and
   * user verification is preferred for the second factor (the password was the first), required to
   * re-authenticate.
   */
  async authenticationOptions(
    purpose: PasskeyPurpose,
    userId: string | null = null,
  ): Promise<{ options: PasskeyOptionsJSON; handle: string }> {
    if ((purpose === 'sign_in') !== (userId === null)) {
      throw new TypeError('a sign-in names no user; a second factor or re-authentication names one');
    }
    const [lib, passkeys] = await Promise.all([
      loadSimpleWebAuthn(),
      userId === null ? Promise.resolve([]) : this.list(userId),
    ]);
    const options = await lib.generateAuthenticationOptions({
      rpID: this.relyingParty.id,
      timeout: this.#ttlMs,
      userVerification: purpose === 'second_factor' ? 'preferred' : 'required',
      ...(userId === null
        ? {}
        : { allowCredentials: passkeys.map((p) => ({ id: p.id, transports: p.transports })) }),
    });
    const now = this.#clock.now();
    const handle = await saveAssertionChallenge(
      this.#challenges,
      { challenge: options.challenge, purpose, userId },
      now + this.#ttlMs,
      now,
    );
    return { options: options as unknown as PasskeyOptionsJSON, handle };
  }

  /**
   * Verifies an assertion against the challenge of `handle` (used up, whatever the outcome), for `purpose`
   * (and, for a second factor or re-authentication, the same user the options were made for). Records the
   * new counter and backup state.
   */
  async authenticate(
    handle: string | null,
    response: unknown,
    expected: { purpose: PasskeyPurpose; userId?: string },
  ): Promise<PasskeyAssertion> {
    const now = this.#clock.now();
    const pending = await takeAssertionChallenge(this.#challenges, handle, now);
    const refuse = (reason: string) => new InvalidPasskeyError({ cause: new Error(reason) });
    if (pending === null) throw refuse('no pending assertion');
    if (pending.purpose !== expected.purpose || pending.userId !== (expected.userId ?? null)) {
      throw refuse('the challenge was made for another purpose or user');
    }
    const parsed = authenticationResponseSchema.safeParse(response);
    if (!parsed.success) throw new InvalidPasskeyError({ cause: parsed.error });
    const passkey = await storeCall('passkeys.find', () => this.#store.findById(parsed.data.id));
    if (passkey === null) throw refuse('unknown credential');
    if (pending.userId !== null && passkey.userId !== pending.userId)
      throw refuse("another user's credential");
    const { userHandle } = parsed.data.response;
    if (
      userHandle !== undefined &&
      Buffer.from(userHandle, 'base64url').toString('utf8') !== passkey.userId
    ) {
      throw refuse('the user handle does not match the credential');
    }
    const lib = await loadSimpleWebAuthn();
    let info: Awaited<ReturnType<typeof lib.verifyAuthenticationResponse>>;
    try {
      info = await lib.verifyAuthenticationResponse({
        response: parsed.data,
        expectedChallenge: pending.challenge,
        expectedOrigin: this.relyingParty.origin,
        expectedRPID: this.relyingParty.id,
        credential: {
          id: passkey.id,
          publicKey: Buffer.from(passkey.publicKey, 'base64url'),
          counter: passkey.counter,
          transports: passkey.transports,
        },
        requireUserVerification: pending.purpose !== 'second_factor',
      });
    } catch (error) {
      throw new InvalidPasskeyError({ cause: error });
    }
    if (!info.verified) throw refuse('assertion not verified');
    const use = {
      counter: info.authenticationInfo.newCounter,
      backedUp: info.authenticationInfo.credentialBackedUp,
      lastUsedAt: now,
    };
    if (!(await storeCall('passkeys.use', () => this.#store.recordUse(passkey.id, use)))) {
      throw refuse('the signature counter did not move forward');
    }
    const updated = { ...passkey, ...use };
    return { userId: passkey.userId, passkey: updated, amr: amrOf(updated) };
  }
}

function cleanName(name: string | undefined): string | null {
  // Whitespace folded, other control characters out; a name is for display only.
  const clean =
    name
      ?.replace(/\s+/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .trim() ?? '';
  return clean === '' ? null : clean.slice(0, MAX_PASSKEY_NAME_LENGTH);
}
