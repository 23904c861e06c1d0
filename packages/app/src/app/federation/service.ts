import { hash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { IdentityStore } from 'cloakroom/accounts';
import { assertNotLocked, normalizeEmail } from 'cloakroom/accounts';
import type { AttemptStore, UserStore } from 'cloakroom/accounts';
import type { Clock } from 'cloakroom';
import { EmailTakenError } from 'cloakroom';
import type { ProviderSettings } from 'cloakroom/federation';
import { FederationError } from 'cloakroom/federation';
import { PreLoginCookie } from 'cloakroom/federation';
import { OidcRelyingParty, type FetchFunction, type VerifiedIdentity } from 'cloakroom/federation';
import type { FederationStateStore } from 'cloakroom/federation';
import type { RequestInfo } from 'cloakroom';
import type { SessionManager } from 'cloakroom/session';
import type { Session } from 'cloakroom/session';
import { storeCall } from 'cloakroom/stores';
import { emitEvent } from 'cloakroom/events';
import type { AppUser } from '../http/env.js';
import { linkProviderSession, providerSessionKey } from './provider-sessions.js';

export interface SiteFederationOptions {
  providers: ProviderSettings[];
  /** The site's public origin: redirect URIs are `${origin}/auth/oidc/<id>/callback`. */
  origin: string;
  users: UserStore;
  identities: IdentityStore;
  state: FederationStateStore;
  /**
   * Counts sign-in starts per client address (each stores a pre-login record), in the shared throttling
   * store; without it starts are not limited.
   */
  attempts?: AttemptStore;
  /** Starts allowed per address per 10 minutes. Default 200. */
  startsPerAddress?: number;
  sessions: SessionManager<AppUser>;
  log: Logger;
  clock?: Clock;
  /** Tests: a shorter JWKS refetch cooldown (key rotation) and a fetch seam. */
  jwksCooldownSeconds?: number;
  fetch?: FetchFunction;
}

/** A provider as the pages show it. */
export interface ProviderLink {
  id: string;
  label: string;
}

/** What the callback decided: where to go, and the cookies to set on the way. */
export interface CallbackOutcome {
  location: string;
  setCookies: string[];
  /** `signed-in`, `linked`, or `already-linked`. */
  result: 'signed-in' | 'linked' | 'already-linked';
}

/** The request facts the callback needs: its session (if any) and the headers recorded with a new one. */
export interface CallbackRequest {
  info: RequestInfo;
  session: Session | null;
}

const START_WINDOW_MS = 10 * 60_000;

/**
 * The reference site's OpenID Connect sign-in, over {@link OidcRelyingParty}: one relying party per
 * configured provider, accounts linked by (issuer, subject), password-less accounts for new people, a
 * fresh Cloakroom session at every federated sign-in, and back-channel logout. Framework-free: the routes
 * in `routes.ts` only move values between HTTP and these methods.
 */
export class SiteFederation {
  readonly cookie: PreLoginCookie;
  readonly #providers = new Map<string, { settings: ProviderSettings; rp: OidcRelyingParty }>();
  readonly #options: SiteFederationOptions;

  constructor(options: SiteFederationOptions) {
    this.#options = options;
    this.cookie = new PreLoginCookie(options.origin);
    for (const settings of options.providers) {
      this.#providers.set(settings.id, {
        settings,
        rp: new OidcRelyingParty({
          id: settings.id,
          issuer: settings.issuer,
          clientId: settings.clientId,
          clientSecret: settings.clientSecret,
          scopes: settings.scopes,
          redirectUri: `${options.origin}/auth/oidc/${settings.id}/callback`,
          store: options.state,
          clock: options.clock,
          jwksCooldownSeconds: options.jwksCooldownSeconds,
          fetch: options.fetch,
        }),
      });
    }
  }

  /** The configured providers, in the file's order. */
  get providers(): ProviderLink[] {
    return [...this.#providers.values()].map(({ settings }) => ({ id: settings.id, label: settings.label }));
  }

  /** The provider's label, or `null` for an unknown id. */
  labelOf(id: string): string | null {
    return this.#providers.get(id)?.settings.label ?? null;
  }

  /**
   * Starts a sign-in (or a link, for a signed-in `link`): resolves to the provider URL to redirect to and
   * the pre-login cookie to set.
   */
  async start(
    providerId: string,
    options: { returnTo?: unknown; link?: { userId: string; sessionId: string }; ip?: string | null } = {},
  ): Promise<{ location: string; setCookie: string }> {
    const { rp } = this.#provider(providerId);
    await this.#countStart(options.ip ?? null);
    const start = await rp.startSignIn(options);
    return { location: start.url, setCookie: this.cookie.serialize(start.handle, start.maxAgeSeconds) };
  }

  /**
   * Finishes a sign-in or a link at the callback. The pre-login cookie is cleared whatever the outcome
   * (`clearCookie` is in the result, and on failure the caller clears it with {@link PreLoginCookie.clear}).
   * Rejects with `FederationError` for every refusal.
   */
  async callback(providerId: string, query: string, request: CallbackRequest): Promise<CallbackOutcome> {
    const { rp, settings } = this.#provider(providerId);
    const handle = this.cookie.read(request.info.cookie);
    const result = await rp.completeSignIn(query, handle);
    const { identity } = result;
    const clear = this.cookie.clear();

    if (result.link !== null) {
      const session = request.session;
      if (session === null || session.userId !== result.link.userId || session.id !== result.link.sessionId) {
        throw new FederationError('link_session_mismatch', 'the link was finished in another session');
      }
      const linked = await this.#link(result.link.userId, identity);
      const notice = linked === 'linked' ? 'provider-linked' : 'provider-already-linked';
      return { location: `/sessions?notice=${notice}`, setCookies: [clear], result: linked };
    }

    const { userId, created } = await this.#accountFor(identity, settings);
    // A locked account (`cloakroom admin lock`) is refused after the provider's proof, as after a password.
    const account = await storeCall('users.findById', () => this.#options.users.findById(userId));
    if (account !== null) assertNotLocked(account);
    // A fresh session (fixation defence); the one the browser came with, if any, ends. The login-CSRF
    // origin checks do not apply here: the provider's redirect is cross-site by nature, and the pre-login
    // record bound to this browser is what proves the sign-in was started here.
    const issued = await this.#options.sessions.create(
      userId,
      { userAgent: request.info.userAgent, ip: request.info.ip },
      // RFC 8176 `fed`: the user proved who they are at the provider.
      { auth: { amr: ['fed'] } },
    );
    if (request.session !== null) {
      await this.#options.sessions.revoke(request.session.id, {
        by: 'system',
        userId: request.session.userId,
        ip: request.info.ip,
        userAgent: request.info.userAgent,
      });
    }
    this.#signedIn(providerId, userId, issued.session.id, created, request.info);
    if (identity.sid !== null) {
      // rp.issuer, the key back-channel logout reads (identity.issuer is the same string, by discovery).
      const key = providerSessionKey(rp.issuer, identity.sid);
      const now = this.#now();
      await storeCall('federation.addMember', () =>
        linkProviderSession(this.#options.state, key, issued.session, now),
      );
    }
    return {
      location: result.returnTo ?? '/notes',
      setCookies: [clear, issued.setCookie],
      result: 'signed-in',
    };
  }

  /**
   * Back-channel logout: verifies the provider's logout token and ends the matching local sessions — every
   * session its `sid` signed in (and their rotated successors), or, with only a `sub`, every session of the
   * linked account. Resolves to how many sessions it ended (at most; one already gone counts too); rejects
   * with `FederationError` `invalid_logout_token` (nothing ended).
   */
  async backchannelLogout(providerId: string, logoutToken: unknown): Promise<number> {
    const entry = this.#providers.get(providerId);
    if (entry === undefined) throw new FederationError('unknown_provider', 'no such provider');
    const request = await entry.rp.verifyLogoutToken(logoutToken);
    const issuer = entry.rp.issuer;
    if (request.sid !== null) {
      const key = providerSessionKey(issuer, request.sid);
      const now = this.#now();
      const { state } = this.#options;
      const sessionIds = await storeCall('federation.takeMembers', () => state.takeMembers(key, now));
      // A sign-in made before the sets kept its one session id as a single entry under the same key.
      const single = await storeCall('federation.take', () => state.take(key, now));
      if (single !== null) sessionIds.push(single);
      for (const sessionId of sessionIds) {
        await this.#options.sessions.revoke(sessionId, { by: 'provider' });
      }
      this.#loggedOut(providerId, 'sid', sessionIds.length, undefined);
      return sessionIds.length;
    }
    const sub = request.sub ?? '';
    const link = await storeCall('identities.findByIdentity', () =>
      this.#options.identities.findByIdentity(issuer, sub),
    );
    if (link === null) {
      this.#loggedOut(providerId, 'sub', 0, undefined);
      return 0;
    }
    const ended = await this.#options.sessions.revokeUserSessions(link.userId, { by: 'provider' });
    this.#loggedOut(providerId, 'sub', ended, link.userId);
    return ended;
  }

  /** `sign_in.succeeded` (method `federation`, amr `fed`) and `federation.signed_in`, to the sessions' hook. */
  #signedIn(
    provider: string,
    userId: string,
    sessionId: string,
    accountCreated: boolean,
    info: RequestInfo,
  ): void {
    const { onEvent } = this.#options.sessions.config;
    if (onEvent === null) return;
    const at = this.#now();
    const from = { ip: info.ip, userAgent: info.userAgent };
    emitEvent(onEvent, {
      type: 'sign_in.succeeded',
      at,
      userId,
      sessionId,
      method: 'federation',
      amr: ['fed'],
      ...from,
    });
    emitEvent(onEvent, {
      type: 'federation.signed_in',
      at,
      userId,
      sessionId,
      provider,
      accountCreated,
      ...from,
    });
  }

  /** `federation.backchannel_logout`: a server-to-server call, so no address or user agent of the user's. */
  #loggedOut(
    provider: string,
    scope: 'sid' | 'sub',
    sessionsEnded: number,
    userId: string | undefined,
  ): void {
    const { onEvent } = this.#options.sessions.config;
    if (onEvent === null) return;
    emitEvent(onEvent, {
      type: 'federation.backchannel_logout',
      at: this.#now(),
      ...(userId === undefined ? {} : { userId }),
      provider,
      scope,
      sessionsEnded,
      ip: null,
      userAgent: null,
    });
  }

  /** Drops expired pre-login records, logout token ids and provider-session entries. */
  sweepExpired(): Promise<number> {
    const now = this.#now();
    return storeCall('federation.deleteExpired', () => this.#options.state.deleteExpired(now));
  }

  /** The user's linked providers, for `GET /api/me` and the account page; `[]` when none is configured. */
  async identitiesOf(userId: string): Promise<{ provider: string; subject: string }[]> {
    // A site with no provider configured answers without a query (every /api/me would pay for it).
    if (this.#providers.size === 0) return [];
    const links = await storeCall('identities.listByUser', () => this.#options.identities.listByUser(userId));
    return links.map((link) => ({ provider: link.provider, subject: link.subject }));
  }

  /** Whether the user can sign in with a password (a password-less account cannot). */
  async hasPassword(userId: string): Promise<boolean> {
    const user = await storeCall('users.findById', () => this.#options.users.findById(userId));
    return user !== null && user.passwordHash !== null;
  }

  /**
   * Unlinks the user's identity at `providerId` with `subject`; refuses (`last_sign_in_method`) when the
   * account has no password and this is its only link. Unknown links are `not_found` (`false`).
   */
  async unlink(userId: string, providerId: string, subject: string): Promise<boolean> {
    const { rp } = this.#provider(providerId);
    const keepOne = !(await this.hasPassword(userId));
    const result = await storeCall('identities.unlink', () =>
      this.#options.identities.unlink(userId, rp.issuer, subject, { keepOne }),
    );
    if (result === 'last_sign_in_method') {
      throw new FederationError('last_sign_in_method', 'this is the only way to sign in to the account');
    }
    return result === 'unlinked';
  }

  async #countStart(ip: string | null): Promise<void> {
    const attempts = this.#options.attempts;
    if (attempts === undefined || ip === null) return;
    const key = `o:${hash('sha256', ip, 'base64url')}`;
    const now = this.#now();
    const counted = await storeCall('attempts.recordFailure', () =>
      attempts.recordFailure(key, now, START_WINDOW_MS),
    );
    if (counted.failures > (this.#options.startsPerAddress ?? 200)) {
      throw new FederationError('too_many_starts', 'too many sign-ins started from this address');
    }
  }

  #provider(id: string): { settings: ProviderSettings; rp: OidcRelyingParty } {
    const entry = this.#providers.get(id);
    if (entry === undefined) throw new FederationError('unknown_provider', 'no such provider');
    return entry;
  }

  #now(): number {
    return this.#options.clock?.now() ?? Date.now();
  }

  async #link(userId: string, identity: VerifiedIdentity): Promise<'linked' | 'already-linked'> {
    const { identities } = this.#options;
    const link = {
      userId,
      provider: identity.provider,
      issuer: identity.issuer,
      subject: identity.subject,
      createdAt: this.#now(),
    };
    if (await storeCall('identities.link', () => identities.link(link))) return 'linked';
    const existing = await storeCall('identities.findByIdentity', () =>
      identities.findByIdentity(identity.issuer, identity.subject),
    );
    if (existing?.userId === userId) return 'already-linked';
    throw new FederationError('identity_in_use', 'this provider account is linked to another account');
  }

  /**
   * The local account for a verified identity: the linked one, else a new password-less account — unless
   * the email is missing, not verified (see `emailVerifiedClaim`), or already used by a local account (never merged by email: its owner
   * signs in and links the provider from the account page).
   */
  async #accountFor(
    identity: VerifiedIdentity,
    settings: ProviderSettings,
  ): Promise<{ userId: string; created: boolean }> {
    const { identities, users } = this.#options;
    const linked = await storeCall('identities.findByIdentity', () =>
      identities.findByIdentity(identity.issuer, identity.subject),
    );
    if (linked !== null) return { userId: linked.userId, created: false };
    let email: string;
    try {
      // The same canonical form as password accounts (NFC, trimmed, lower-case), so the email check holds.
      email = normalizeEmail(identity.email);
    } catch {
      throw new FederationError('email_missing', 'the provider gave no usable email address');
    }
    // Strict unless the provider file says otherwise: an address nobody vouched for would let anyone who
    // can name it at a lax provider take it here first.
    const missingIsVerified = settings.emailVerifiedClaim === 'optional';
    if (identity.emailVerified !== true && !(identity.emailVerified === null && missingIsVerified)) {
      throw new FederationError(
        'email_unverified',
        identity.emailVerified === false
          ? 'the provider says the email address is unverified'
          : 'the provider does not say the email address is verified',
      );
    }
    if ((await storeCall('users.findByEmail', () => users.findByEmail(email))) !== null) {
      throw new FederationError('account_exists', 'a local account already uses this email address');
    }
    // The provider vouched for the address (email_verified is required): it counts as verified here too.
    const user = { id: randomUUID(), email, passwordHash: null, createdAt: this.#now(), emailVerified: true };
    try {
      await storeCall('users.create', () => users.create(user));
    } catch (error) {
      if (error instanceof EmailTakenError) {
        throw new FederationError('account_exists', 'a local account already uses this email address');
      }
      throw error;
    }
    await this.#link(user.id, identity);
    return { userId: user.id, created: true };
  }
}
