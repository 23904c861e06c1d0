import type { JSONWebKeySet, JWK } from 'jose';
import { systemClock, type Clock } from '../clock.js';
import {
  generateSigningKey,
  importSigningKey,
  isSigningAlgorithm,
  type SigningAlgorithm,
  type SigningKey,
} from './keys.js';
import {
  parseKeyringDocument,
  serializeKeyringDocument,
  type KeyringDocument,
  type KeyState,
  type StoredKey,
} from './keyring-document.js';
import { fileKeyringStorage, type KeyringStorage } from './keyring-storage.js';
import { MAX_ACCESS_TOKEN_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS } from './limits.js';

export interface KeyringOptions {
  /** The data directory: the keyring lives in `<dir>/signing-keys.json` (0600). Give this or `storage`. */
  dir?: string;
  /** Somewhere else to keep the keyring document (a database row, memory in tests). */
  storage?: KeyringStorage;
  /** The algorithm of newly generated keys (existing keys keep theirs). Default `EdDSA` (Ed25519). */
  alg?: SigningAlgorithm;
  clock?: Clock;
  /**
   * The longest lifetime of any token the keyring signs, in seconds (default and maximum 3600). A retired key
   * stays published for this long plus the verifiers' 60 s clock tolerance, so every token it signed expires
   * before its key disappears.
   */
  maxTokenLifetimeSeconds?: number;
}

/** A key as `list()` shows it: no key material. Times are milliseconds since the epoch. */
export interface KeyInfo {
  kid: string;
  alg: SigningAlgorithm;
  state: KeyState;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
  /** When a retired key leaves the JWKS (and the keyring); `null` for the next and current keys. */
  dropsAt: number | null;
}

/**
 * Signing keys with rotation. One key is `current` (signs), one is `next` (already published in the JWKS, so
 * verifiers that cached the key set know it before it ever signs), and `retired` keys stay published until the
 * last token they signed has expired. {@link SigningKeyring.rotate} moves next → current → retired and creates
 * a fresh next key. Create one with {@link loadOrCreateKeyring}.
 */
export class SigningKeyring {
  readonly #storage: KeyringStorage;
  readonly #alg: SigningAlgorithm;
  readonly #clock: Clock;
  /** The longest token lifetime this keyring vouches for, in seconds. */
  readonly maxTokenLifetimeSeconds: number;
  #document: KeyringDocument;
  #signing: SigningKey;
  #text: string;
  #jwks: { keys: readonly JWK[]; kids: string } | null = null;

  /** @internal use {@link loadOrCreateKeyring} */
  constructor(
    storage: KeyringStorage,
    settings: { alg: SigningAlgorithm; clock: Clock; maxTokenLifetimeSeconds: number },
    loaded: { document: KeyringDocument; text: string; signing: SigningKey },
  ) {
    this.#storage = storage;
    this.#alg = settings.alg;
    this.#clock = settings.clock;
    this.maxTokenLifetimeSeconds = settings.maxTokenLifetimeSeconds;
    this.#document = loaded.document;
    this.#text = loaded.text;
    this.#signing = loaded.signing;
  }

  /** The current key, to sign with (see `signAccessToken`). */
  signingKey(): SigningKey {
    return this.#signing;
  }

  /**
   * The public key set to serve at `/.well-known/jwks.json`: the current, next and not-yet-dropped retired keys,
   * each holding only public members plus `kid`, `alg` and `use`. The same object is returned until the set
   * changes, so callers can cache work keyed on it.
   */
  publicJwks(): JSONWebKeySet {
    const keys = this.#published();
    const kids = keys.map((key) => key.kid).join(' ');
    if (this.#jwks === null || this.#jwks.kids !== kids) {
      this.#jwks = { keys: Object.freeze(keys.map((key) => Object.freeze({ ...key.publicJwk }))), kids };
    }
    return this.#jwks as unknown as JSONWebKeySet;
  }

  /** Every key still kept, newest state first (current, next, retired by retirement), without key material. */
  list(): KeyInfo[] {
    return this.#published().map((key) => ({
      kid: key.kid,
      alg: key.alg,
      state: key.state,
      createdAt: key.createdAt,
      activatedAt: key.activatedAt,
      retiredAt: key.retiredAt,
      dropsAt: key.retiredAt === null ? null : this.#dropsAt(key.retiredAt),
    }));
  }

  /**
   * Rotates: the next key starts signing, the current one retires, a new next key (of the configured algorithm)
   * is generated, and retired keys past their drop time are removed. Reads the stored document first, so a
   * rotation made by another process (`cloakroom keys rotate`) is built upon, not undone. Resolves to the kid
   * that now signs.
   */
  async rotate(): Promise<string> {
    await this.reload();
    const now = this.#clock.now();
    const fresh = await generateSigningKey(this.#alg);
    const keys = this.#document.keys.flatMap((key): StoredKey[] => {
      if (key.state === 'current') return [{ ...key, state: 'retired', retiredAt: now }];
      if (key.state === 'next') return [{ ...key, state: 'current', activatedAt: now }];
      return this.#dropsAt(key.retiredAt ?? now) <= now ? [] : [key];
    });
    if (!keys.some((key) => key.state === 'current')) {
      // No next key was waiting (a hand-edited document): the fresh key has to sign at once.
      keys.push(storedKey(fresh, 'current', now));
      keys.push(storedKey(await generateSigningKey(this.#alg), 'next', now));
    } else {
      keys.push(storedKey(fresh, 'next', now));
    }
    const document: KeyringDocument = { version: 1, keys };
    const text = serializeKeyringDocument(document);
    const signing = await signingKeyOf(document);
    await this.#storage.replace(text);
    this.#document = document;
    this.#text = text;
    this.#signing = signing;
    return signing.kid;
  }

  /**
   * Re-reads the stored document, to pick up a rotation made by another process. Resolves `true` when it
   * changed. A missing or invalid document rejects and leaves the keyring as it was.
   */
  async reload(): Promise<boolean> {
    const text = await this.#storage.read();
    if (text === null) throw new Error('the signing keyring document has disappeared');
    if (text === this.#text) return false;
    const document = parseKeyringDocument(text);
    const signing = await signingKeyOf(document);
    this.#document = document;
    this.#text = text;
    this.#signing = signing;
    return true;
  }

  #dropsAt(retiredAt: number): number {
    return retiredAt + (this.maxTokenLifetimeSeconds + MAX_CLOCK_TOLERANCE_SECONDS) * 1000;
  }

  #published(): StoredKey[] {
    const now = this.#clock.now();
    const rank = { current: 0, next: 1, retired: 2 } as const;
    return this.#document.keys
      .filter((key) => key.state !== 'retired' || this.#dropsAt(key.retiredAt ?? now) > now)
      .sort((a, b) => rank[a.state] - rank[b.state] || (b.retiredAt ?? 0) - (a.retiredAt ?? 0));
  }
}

function storedKey(
  generated: Awaited<ReturnType<typeof generateSigningKey>>,
  state: 'current' | 'next',
  now: number,
): StoredKey {
  return {
    kid: generated.kid,
    alg: generated.alg,
    state,
    createdAt: now,
    activatedAt: state === 'current' ? now : null,
    retiredAt: null,
    privateJwk: generated.privateJwk,
    publicJwk: generated.publicJwk,
  };
}

async function signingKeyOf(document: KeyringDocument): Promise<SigningKey> {
  const current = document.keys.find((key) => key.state === 'current');
  if (current === undefined) throw new Error('the signing keyring has no current key');
  return { kid: current.kid, alg: current.alg, key: await importSigningKey(current.privateJwk, current.alg) };
}

/**
 * Loads the keyring from `dir` (or `storage`), creating it on first use with a current and a next key. When two
 * processes start at once, one creates the document and the other loads it.
 *
 * @example
 * ```ts
 * const keyring = await loadOrCreateKeyring({ dir: './data' });
 * const { kid } = keyring.signingKey();
 * app.get('/.well-known/jwks.json', () => Response.json(keyring.publicJwks()));
 * await keyring.rotate(); // next → current → retired
 * ```
 */
export async function loadOrCreateKeyring(options: KeyringOptions): Promise<SigningKeyring> {
  const alg = options.alg ?? 'EdDSA';
  if (!isSigningAlgorithm(alg)) throw new TypeError('alg must be EdDSA, ES256 or RS256');
  const maxTokenLifetimeSeconds = options.maxTokenLifetimeSeconds ?? MAX_ACCESS_TOKEN_SECONDS;
  if (
    !Number.isInteger(maxTokenLifetimeSeconds) ||
    maxTokenLifetimeSeconds < 1 ||
    maxTokenLifetimeSeconds > MAX_ACCESS_TOKEN_SECONDS
  ) {
    throw new TypeError(`maxTokenLifetimeSeconds must be an integer from 1 to ${MAX_ACCESS_TOKEN_SECONDS}`);
  }
  if ((options.dir === undefined) === (options.storage === undefined)) {
    throw new TypeError('give exactly one of dir and storage');
  }
  const storage = options.storage ?? fileKeyringStorage(options.dir as string);
  const clock = options.clock ?? systemClock;

  let text = await storage.read();
  if (text === null) {
    const now = clock.now();
    const [current, next] = await Promise.all([generateSigningKey(alg), generateSigningKey(alg)]);
    const created = serializeKeyringDocument({
      version: 1,
      keys: [storedKey(current, 'current', now), storedKey(next, 'next', now)],
    });
    text = (await storage.create(created)) ? created : await storage.read();
    if (text === null) throw new Error('the signing keyring document could not be created');
  }
  const document = parseKeyringDocument(text);
  const signing = await signingKeyOf(document);
  return new SigningKeyring(storage, { alg, clock, maxTokenLifetimeSeconds }, { document, text, signing });
}
