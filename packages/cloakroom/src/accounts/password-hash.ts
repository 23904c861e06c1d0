import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/** argon2id cost parameters. */
export interface Argon2Parameters {
  /** Memory in KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane. */
export const OWASP_ARGON2ID: Argon2Parameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

// A stored hash is a PHC string, `$argon2id$v=19$m=…,t=…,p=…$salt$hash`: it names the algorithm, its
// version and its parameters, which is the version prefix that lets parameters change later.
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * What a forced reset (`forcePasswordReset`, `cloakroom admin force-reset`) stores instead of the password's
 * hash: no password matches it, so the old password stops working until the user sets a new one through a
 * reset link. It is not `null`, which means "an account without a password" (federated only) and would let a
 * fresh federated session stand in for the password.
 */
export const UNUSABLE_PASSWORD_HASH = '!reset-required';

export interface PasswordCheck {
  valid: boolean;
  /** The hash was made with other parameters than the current ones: store a fresh hash now. */
  needsRehash: boolean;
}

/** Hashes and verifies passwords with argon2id (on libuv's thread pool, so the event loop stays free). */
export class PasswordHasher {
  readonly parameters: Argon2Parameters;
  #dummy: Promise<string> | null = null;

  constructor(parameters: Argon2Parameters = OWASP_ARGON2ID) {
    this.parameters = parameters;
  }

  hash(password: string): Promise<string> {
    // @node-rs/argon2 hashes with argon2id by default (its `Algorithm` enum is an ambient const enum that
    // isolated modules cannot name); `verify` below accepts only `$argon2id$` hashes, so a change would show.
    return hash(password, { ...this.parameters });
  }

  /**
   * Checks `password` against a stored hash. A stored value that is no argon2id hash (such as
   * {@link UNUSABLE_PASSWORD_HASH}) is simply not valid, after the same work as a real check, so its answer
   * takes no less time than a wrong password's.
   */
  async verify(stored: string, password: string): Promise<PasswordCheck> {
    const match = PHC.exec(stored);
    if (match === null) {
      await this.verifyDummy(password);
      return { valid: false, needsRehash: false };
    }
    let valid: boolean;
    try {
      valid = await verify(stored, password);
    } catch {
      return { valid: false, needsRehash: false };
    }
    const [, m, t, p] = match;
    const { memoryCost, timeCost, parallelism } = this.parameters;
    const needsRehash = Number(m) !== memoryCost || Number(t) !== timeCost || Number(p) !== parallelism;
    return { valid, needsRehash: valid && needsRehash };
  }

  /**
   * Spends the same time as a real verification and fails: used for unknown accounts, so that "no such
   * email" and "wrong password" cannot be told apart by timing.
   */
  async verifyDummy(password: string): Promise<false> {
    this.#dummy ??= this.hash(randomBytes(16).toString('base64url'));
    await this.verify(await this.#dummy, password);
    return false;
  }

  /** Computes the dummy hash ahead of the first sign-in, so that one is not slower either. */
  async warmUp(): Promise<void> {
    this.#dummy ??= this.hash(randomBytes(16).toString('base64url'));
    await this.#dummy;
  }
}
