import type { Clock } from '../../clock.js';
import { signAccessToken, type AccessTokenClaims, type Actor, type SigningKeyring } from '../index.js';
import type { RefreshTokens } from './refresh.js';
import type { ClientStore } from './types.js';
import type { EventSink } from '../../events/index.js';

/** The token response of RFC 6749 §5.1 (and of `POST /api/tokens`). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** RFC 8693 §2.2.1, token exchange only. */
  issued_token_type?: string;
}

/** An access token as {@link TokenIssuer.sign} returns it. */
export interface SignedAccess {
  token: string;
  expiresIn: number;
  scope: string;
}

/** The one shape of every token answer (RFC 6749 §5.1), with a refresh token or a token type when given. */
export function tokenResponse(
  access: SignedAccess,
  extra: { refreshToken?: string; issuedTokenType?: string } = {},
): TokenResponse {
  return {
    access_token: access.token,
    ...(extra.issuedTokenType === undefined ? {} : { issued_token_type: extra.issuedTokenType }),
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    ...(extra.refreshToken === undefined ? {} : { refresh_token: extra.refreshToken }),
    scope: access.scope,
  };
}

/**
 * Verifies an access token this issuer signed, for any of `audiences` (the `cloakroom/tokens` verifier over the
 * issuer's own key set). Rejects with the library's `InvalidTokenError` when it is not valid.
 */
export type AccessTokenVerifier = (
  token: string,
  audiences: readonly string[],
) => Promise<Readonly<AccessTokenClaims>>;

/** An audience a signed-in user may get tokens for (see `mintForSession`), and the scopes allowed in them. */
export interface SessionAudience {
  audience: string;
  scopes: readonly string[];
}

/** What a {@link TokenIssuer} is built on. */
export interface TokenIssuerOptions {
  /** `iss`: the issuer's origin. */
  issuer: string;
  /** Access-token lifetime in seconds (capped further per grant, e.g. by a subject token's `exp`). */
  accessTokenSeconds: number;
  /**
   * The audiences a signed-in user may get tokens for, each with the scopes it allows; the first is the
   * default when a request names none (typically the site's own API).
   */
  sessionAudiences: readonly SessionAudience[];
  keyring: SigningKeyring;
  refresh: RefreshTokens;
  clients: ClientStore;
  verify: AccessTokenVerifier;
  clock: Clock;
  /** Whether the session `sid` is live for `sub` (so a revoked session's tokens die at once here). */
  isSessionLive: (sessionId: string, userId: string) => Promise<boolean>;
  /**
   * Told of refresh-token reuse, token exchanges and client-credentials grants (`cloakroom/events`); a throw
   * is caught, a returned promise never awaited.
   */
  onEvent?: EventSink;
}

/** What one access token is for. */
export interface AccessGrant {
  subject: string;
  audience: string;
  clientId: string;
  scope: readonly string[];
  sessionId?: string | null;
  actor?: Actor;
  /** Caps the lifetime (token exchange: never past the subject token's `exp`, in seconds since the epoch). */
  notAfter?: number;
}

/**
 * The token issuer: signs access tokens with the keyring's current key and holds the refresh-token
 * families and registered clients. The grants (`grants/*.ts`) and the token endpoint are built on it.
 *
 * @example
 * ```ts
 * const issuer = new TokenIssuer({
 *   issuer: 'https://auth.example', accessTokenSeconds: 300,
 *   sessionAudiences: [{ audience: 'https://auth.example/api', scopes: ['notes:read'] }],
 *   keyring, refresh, clients, clock: systemClock, isSessionLive,
 *   verify: async (token, audiences) => (await createVerifier({ issuer: 'https://auth.example',
 *     audience: audiences, algorithms: SIGNING_ALGORITHMS, jwks: keyring, cache: false }).verify(token)).claims,
 * });
 * const response = await handleTokenRequest(issuer, { contentType, authorization, body });
 * ```
 */
export class TokenIssuer {
  readonly options: TokenIssuerOptions;

  constructor(options: TokenIssuerOptions) {
    this.options = options;
  }

  get refresh(): RefreshTokens {
    return this.options.refresh;
  }

  get clients(): ClientStore {
    return this.options.clients;
  }

  /** The audiences a signed-in user may get tokens for, the default first. */
  get userAudiences(): string[] {
    return this.options.sessionAudiences.map((entry) => entry.audience);
  }

  /** Signs one access token; resolves to the token, its lifetime and its scope text. */
  async sign(grant: AccessGrant): Promise<SignedAccess> {
    const { accessTokenSeconds, clock, keyring, issuer } = this.options;
    let lifetime = accessTokenSeconds;
    if (grant.notAfter !== undefined) {
      lifetime = Math.min(lifetime, grant.notAfter - Math.floor(clock.now() / 1000));
    }
    if (lifetime < 1) throw new RangeError('no lifetime left for the token');
    const signed = await signAccessToken({
      keyring,
      issuer,
      subject: grant.subject,
      audience: grant.audience,
      clientId: grant.clientId,
      scope: grant.scope,
      lifetimeSeconds: lifetime,
      ...(grant.sessionId == null ? {} : { sessionId: grant.sessionId }),
      ...(grant.actor === undefined ? {} : { actor: grant.actor }),
      clock,
    });
    return { token: signed.token, expiresIn: signed.expiresIn, scope: grant.scope.join(' ') };
  }
}
