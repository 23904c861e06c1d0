import { checkRequestOrigin, CsrfRejectedError, isUnsafeMethod } from '../csrf/index.js';
import { storeCall } from '../lib/store-call.js';
import { emitEvent } from '../events/index.js';
import type { CookieSink, LegacyExchange, RequestInfo, Session, SessionManager } from '../session/index.js';
import type {
  FoundCredential,
  LegacyRefusalReason,
  LegacySource,
  MigrationStore,
  VerifiedCredential,
} from './types.js';

/** What the `findUser` hook is given: the verified legacy credential's user and data. */
export interface LegacyIdentity {
  /** The source's name (`jwt`, `iron-session`, `express-session`, …). */
  source: string;
  /** The configured claim or field: who the legacy system says this is. */
  subject: string;
  /** The verified claims or session data. */
  data: Readonly<Record<string, unknown>>;
}

/** Options of {@link createMigration}. */
export interface MigrationOptions<U> {
  /** The legacy systems, tried in order on a request without a valid Cloakroom session. */
  sources: readonly LegacySource[];
  /** Where exchanged credentials and counters are kept, shared by every process of the site. */
  store: MigrationStore;
  /**
   * Maps a verified legacy credential to a user of the site; `null` for none (the credential is refused as
   * `unknown_user`). A rejection is a store failure (503 `store_unavailable`).
   */
  findUser: (identity: LegacyIdentity) => Promise<{ userId: string; user: U } | null>;
  /** After this instant legacy credentials are ignored. Default: never. */
  acceptUntil?: Date | string | number;
  /** Failures that do not change the answer (a counter not written, a legacy session not destroyed). */
  onError?: (error: unknown, operation: string) => void;
}

/** A ten-year memory for credentials with no end of their own and no cut-off. */
const FOREVER_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * The migration layer: pass it as the session manager's `migration` option and every adapter exchanges
 * legacy credentials on requests without a valid Cloakroom session.
 */
export class Migration<U> implements LegacyExchange<U> {
  readonly #sources: readonly LegacySource[];
  readonly #store: MigrationStore;
  readonly #findUser: MigrationOptions<U>['findUser'];
  readonly #onError: (error: unknown, operation: string) => void;
  /** ms since the epoch, or `null` for no cut-off. */
  readonly acceptUntil: number | null;

  constructor(options: MigrationOptions<U>) {
    const given: unknown = options;
    if (typeof given !== 'object' || given === null) throw new TypeError('options are required');
    if (!Array.isArray(options.sources) || options.sources.length === 0) {
      throw new TypeError('sources must list at least one legacy source');
    }
    const sources: readonly LegacySource[] = options.sources;
    const names = new Set(sources.map((source) => source.name));
    if (names.size !== sources.length) throw new TypeError('sources must have distinct names');
    const { findUser, store } = options;
    if (typeof findUser !== 'function') throw new TypeError('findUser is required');
    const storeGiven: unknown = store;
    if (typeof storeGiven !== 'object' || storeGiven === null) throw new TypeError('store is required');
    this.#sources = sources;
    this.#store = store;
    this.#findUser = findUser;
    this.#onError = options.onError ?? (() => undefined);
    this.acceptUntil = instant(options.acceptUntil);
  }

  /** The migration store (for `cloakroom migrate status`). */
  get store(): MigrationStore {
    return this.#store;
  }

  async exchange(
    manager: SessionManager<U>,
    info: RequestInfo,
    emit: CookieSink,
  ): Promise<{ session: Session; user: U } | null> {
    for (const source of this.#sources) {
      const found = source.find(info);
      if (found === null) continue;
      const result = await this.#exchangeOne(manager, info, emit, source, found);
      if (result !== null) return result;
    }
    return null;
  }

  async #exchangeOne(
    manager: SessionManager<U>,
    info: RequestInfo,
    emit: CookieSink,
    source: LegacySource,
    found: FoundCredential,
  ): Promise<{ session: Session; user: U } | null> {
    // A legacy cookie is an ambient credential like the Cloakroom one: the same cross-site checks apply.
    if (found.via === 'cookie' && isUnsafeMethod(info.method)) {
      const refused = checkRequestOrigin(info, manager.config.trustedOrigins, 'session');
      if (refused !== null) throw new CsrfRejectedError(refused);
    }
    const now = manager.config.clock.now();
    if (this.acceptUntil !== null && now >= this.acceptUntil) return this.#refuse(source, 'after_cutoff');
    const verified = await source.verify(found.value, now);
    if (!verified.ok) return this.#refuse(source, verified.reason);
    const { credential } = verified;
    if (credential.expiresAt !== null && credential.expiresAt <= now) return this.#refuse(source, 'expired');
    const match = await storeCall('findUser', () =>
      this.#findUser({ source: source.name, subject: credential.subject, data: credential.data }),
    );
    if (match === null) return this.#refuse(source, 'unknown_user');

    // The session first, the claim second: a store failure at either step leaves the legacy credential
    // usable (503, its cookie untouched), and a lost race for the claim ends the session just made.
    const issued = await manager.create(
      match.userId,
      { userAgent: info.userAgent, ip: info.ip },
      credential.expiresAt === null ? {} : { notAfter: credential.expiresAt },
    );
    let claimed: boolean;
    try {
      claimed = await storeCall('claim', () =>
        this.#store.claim(credential.replayKey, this.#rememberUntil(credential, now), now),
      );
    } catch (error) {
      await this.#revokeQuietly(manager, issued.session.id);
      throw error;
    }
    if (!claimed) {
      await this.#revokeQuietly(manager, issued.session.id);
      return this.#refuse(source, 'replayed');
    }
    if (credential.retire !== undefined) {
      try {
        await credential.retire();
      } catch (error) {
        // Already claimed, so it can never mint a session again; the legacy store's own expiry removes it.
        this.#onError(error, 'retire');
      }
    }
    emit(issued.setCookie);
    const clear = source.clearCookie(found.via);
    if (clear !== null) emit(clear);
    await this.#count(`exchanged.${source.name}`);
    const { onEvent } = manager.config;
    if (onEvent !== null) {
      emitEvent(onEvent, {
        type: 'sign_in.succeeded',
        at: manager.config.clock.now(),
        userId: match.userId,
        sessionId: issued.session.id,
        method: 'migration',
        ip: info.ip,
        userAgent: info.userAgent,
      });
    }
    return { session: issued.session, user: match.user };
  }

  #rememberUntil(credential: VerifiedCredential, now: number): number {
    // After the cut-off nothing is accepted, so nothing needs remembering past it.
    const end = Math.min(credential.expiresAt ?? Infinity, this.acceptUntil ?? Infinity);
    return Number.isFinite(end) ? end : now + FOREVER_MS;
  }

  async #refuse(source: LegacySource, reason: LegacyRefusalReason): Promise<null> {
    await this.#count(`refused.${source.name}.${reason}`);
    return null;
  }

  async #count(counter: string): Promise<void> {
    try {
      await this.#store.increment(counter);
    } catch (error) {
      // A counter never changes an answer.
      this.#onError(error, 'count');
    }
  }

  async #revokeQuietly(manager: SessionManager<U>, sessionId: string): Promise<void> {
    try {
      await manager.revoke(sessionId);
    } catch (error) {
      this.#onError(error, 'revoke');
    }
  }
}

/**
 * Creates the migration layer for `createSessionManager({ …, migration })`.
 *
 * @example
 * ```ts
 * const migration = createMigration({
 *   sources: [jwtSource({ cookie: 'token', algorithms: ['HS256'], secret, userClaim: 'email' })],
 *   store: new SqliteMigrationStore(db),
 *   findUser: async ({ subject }) => {
 *     const user = await users.findByEmail(subject);
 *     return user && { userId: user.id, user: { id: user.id, email: user.email } };
 *   },
 *   acceptUntil: '2027-06-30T00:00:00Z',
 * });
 * const sessions = createSessionManager({ store, origin, keys, migration });
 * ```
 */
export function createMigration<U>(options: MigrationOptions<U>): Migration<U> {
  return new Migration(options);
}

function instant(value: Date | string | number | undefined): number | null {
  if (value === undefined) return null;
  const time =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : value;
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw new TypeError('acceptUntil must be a date (ISO 8601 string, Date or ms since the epoch)');
  }
  return time;
}
