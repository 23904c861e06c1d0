import type { Clock } from 'cloakroom';
import type { SigningKeyring } from 'cloakroom/tokens';
import { signAccessToken, type Actor } from 'cloakroom/tokens';
import type { AccessTokenClaims } from 'cloakroom/tokens';
import type { RefreshTokens } from './refresh.js';
import type { ClientStore } from './store/types.js';
import type { TokenConfig } from './config.js';

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

export interface TokenIssuerOptions {
  /** `iss`: the site's origin. */
  issuer: string;
  /** `<origin>/api`, the site's own API. */
  apiAudience: string;
  config: TokenConfig;
  keyring: SigningKeyring;
  refresh: RefreshTokens;
  clients: ClientStore;
  verify: AccessTokenVerifier;
  clock: Clock;
  /** Whether the session `sid` is live for `sub` (so a revoked session's tokens die at once here). */
  isSessionLive: (sessionId: string, userId: string) => Promise<boolean>;
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
 * The site's token issuer: signs access tokens with the keyring's current key and holds the refresh-token
 * families and registered clients. The grants (`grants/*.ts`) and the HTTP routes are built on it.
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

  /** The audiences a signed-in user may get tokens for: the site's API first, then the configured ones. */
  get userAudiences(): string[] {
    return [this.options.apiAudience, ...this.options.config.extraAudiences];
  }

  /** Signs one access token; resolves to the token, its lifetime and its scope text. */
  async sign(grant: AccessGrant): Promise<SignedAccess> {
    const { config, clock, keyring, issuer } = this.options;
    let lifetime = config.accessTokenSeconds;
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
