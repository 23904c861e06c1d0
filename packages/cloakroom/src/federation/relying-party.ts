import { timingSafeEqual as timingSafeEqualBuffers } from 'node:crypto';
import * as client from 'openid-client';
import { systemClock, type Clock } from '../clock.js';
import { ProviderDiscovery, type FetchFunction } from './discovery.js';
import { FederationError } from './errors.js';
import { verifyIdTokenSignature, type IdTokenAlgorithm } from './id-token.js';
import { verifyLogoutToken, type LogoutRequest } from './logout-token.js';
import { DEFAULT_PRE_LOGIN_SECONDS, savePreLogin, takePreLogin, type PreLoginRecord } from './pre-login.js';
import { classifyProviderError } from './provider-errors.js';
import { safeReturnTo } from './return-to.js';
import type { FederationStateStore } from './stores/types.js';

export interface RelyingPartyOptions {
  /** The provider id used in the site's URLs and in the pre-login record. */
  id: string;
  /**
   * The issuer identifier, exactly as the provider's discovery document spells it: discovery refuses one
   * that differs in any byte (a trailing `/`, the host's case, an explicit port).
   */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Must include `openid`. Default `["openid", "email"]`. */
  scopes?: readonly string[];
  /** This provider's callback URL on the site: `${origin}/auth/oidc/<id>/callback` on the reference site. */
  redirectUri: string;
  /** Where pre-login records and logout token ids live: the site's shared store. */
  store: FederationStateStore;
  clock?: Clock;
  /** How long a sign-in may take from start to callback. Default 600 seconds. */
  preLoginSeconds?: number;
  /**
   * ID token algorithms accepted. Default: the asymmetric ones (RS*, PS*, ES*, EdDSA/Ed25519). `HS256` only if
   * the client is registered for it (it is then checked with the client secret); `none` never.
   */
  idTokenAlgorithms?: readonly IdTokenAlgorithm[];
  /** Seconds before a call to the provider is abandoned. Default 10. */
  timeoutSeconds?: number;
  /** Least seconds between two JWKS refetches on an unknown `kid`. Default 30. */
  jwksCooldownSeconds?: number;
  /** Leeway for `exp`/`iat`/`nbf`, in seconds. Default 30. */
  clockToleranceSeconds?: number;
  /** A `fetch` for every call to the provider. */
  fetch?: FetchFunction;
}

/** Where to send the browser, and the handle to bind to it (in the pre-login cookie). */
export interface SignInStart {
  url: string;
  handle: string;
  /** Seconds the pre-login record lives: the cookie's Max-Age. */
  maxAgeSeconds: number;
}

/** The person the provider vouched for, after every check. */
export interface VerifiedIdentity {
  /** The provider id (configuration), the issuer and the subject: accounts are linked by (issuer, subject). */
  provider: string;
  /** Always the relying party's configured `issuer` (discovery made sure the provider's is the same string). */
  issuer: string;
  subject: string;
  email: string | null;
  /**
   * `true`/`false` as the provider says of `email` (a JSON boolean only); `null` when it does not say. Treat
   * `null` as unverified unless the provider is known to verify every address.
   */
  emailVerified: boolean | null;
  name: string | null;
  /** The provider's session id (`sid`), for back-channel logout; `null` when absent. */
  sid: string | null;
}

export interface SignInResult {
  identity: VerifiedIdentity;
  /** What the start recorded: where to return, and whether this is a link. */
  returnTo: string | null;
  link: PreLoginRecord['link'];
}

const DEFAULT_ALGORITHMS: readonly IdTokenAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/**
 * An OpenID Connect relying party for one provider, on openid-client 6: discovery, the authorization code
 * flow with PKCE (S256), `state` and `nonce` kept in a single-use pre-login record in the site's store, the
 * RFC 9207 `iss` parameter, the ID token verified (signature through the provider's JWKS, which follows key
 * rotation; `iss`, `aud`, `azp`, `exp`, `iat`, `sub`, `nonce`; never `alg: none`), then userinfo with its
 * `sub` matched. It returns who signed in; the site then starts its own session. No provider token leaves
 * this object.
 *
 * @example
 * ```ts
 * const rp = new OidcRelyingParty({ id: 'corp', issuer, clientId, clientSecret, redirectUri, store });
 * const start = await rp.startSignIn({ returnTo: '/notes' }); // redirect to start.url, cookie start.handle
 * const { identity } = await rp.completeSignIn(callbackUrl, handleFromCookie);
 * ```
 */
export class OidcRelyingParty {
  readonly id: string;
  readonly issuer: string;
  readonly #options: RelyingPartyOptions;
  readonly #discovery: ProviderDiscovery;
  readonly #clock: Clock;
  readonly #scopes: string;
  readonly #algorithms: readonly IdTokenAlgorithm[];
  readonly #redirectUri: URL;

  constructor(options: RelyingPartyOptions) {
    const scopes = options.scopes ?? ['openid', 'email'];
    if (!scopes.includes('openid')) throw new TypeError('scopes must include "openid"');
    const algorithms = options.idTokenAlgorithms ?? DEFAULT_ALGORITHMS;
    if ((algorithms as readonly string[]).includes('none'))
      throw new TypeError('alg "none" is never accepted');
    if (algorithms.some((alg) => alg.startsWith('HS')) && options.clientSecret === undefined) {
      throw new TypeError('HS* ID tokens need a client secret');
    }
    this.#redirectUri = new URL(options.redirectUri);
    if (this.#redirectUri.search !== '' || this.#redirectUri.hash !== '') {
      throw new TypeError('redirectUri must have no query or fragment');
    }
    this.id = options.id;
    this.issuer = options.issuer;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#scopes = scopes.join(' ');
    this.#algorithms = algorithms;
    this.#discovery = new ProviderDiscovery({
      issuer: options.issuer,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      timeoutSeconds: options.timeoutSeconds ?? 10,
      jwksCooldownSeconds: options.jwksCooldownSeconds ?? 30,
      fetch: options.fetch,
    });
  }

  /**
   * Starts a sign-in (or, with `link`, linking the provider to a signed-in account): saves a pre-login
   * record with fresh `state`, `nonce` and PKCE verifier, and resolves to the provider's authorization URL
   * and the handle to put in the pre-login cookie. `returnTo` is kept only if it is a local path.
   */
  async startSignIn(
    options: { returnTo?: unknown; link?: { userId: string; sessionId: string } } = {},
  ): Promise<SignInStart> {
    const { config } = await this.#discovery.get();
    const codeVerifier = client.randomPKCECodeVerifier();
    const record: PreLoginRecord = {
      provider: this.id,
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      returnTo: safeReturnTo(options.returnTo),
      link: options.link ?? null,
      createdAt: this.#clock.now(),
    };
    const maxAgeSeconds = this.#options.preLoginSeconds ?? DEFAULT_PRE_LOGIN_SECONDS;
    const handle = await savePreLogin(this.#options.store, record, maxAgeSeconds);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.#redirectUri.href,
      scope: this.#scopes,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: record.state,
      nonce: record.nonce,
    });
    return { url: url.href, handle, maxAgeSeconds };
  }

  /**
   * Finishes a sign-in at the callback. `query` is the callback's query string (or its parameters);
   * `handle` comes from the pre-login cookie. The pre-login record is taken first (single use: a replayed
   * callback finds nothing), then every check runs before the next call to the provider. Rejects with a
   * `FederationError` whose `reason` says what failed.
   */
  async completeSignIn(query: string | URLSearchParams, handle: string | null): Promise<SignInResult> {
    const now = this.#clock.now();
    const record = await takePreLogin(this.#options.store, handle, now);
    if (record === null || record.provider !== this.id) {
      throw new FederationError('login_expired', 'no pending sign-in for this browser');
    }
    const params = new URLSearchParams(query);
    const provider = await this.#discovery.get();
    const metadata = provider.config.serverMetadata();
    checkAuthorizationResponse(params, record, metadata);

    const callbackUrl = new URL(this.#redirectUri);
    callbackUrl.search = params.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(provider.config, callbackUrl, {
        pkceCodeVerifier: record.codeVerifier,
        expectedState: record.state,
        expectedNonce: record.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw classifyProviderError(error, 'token');
    }
    const idToken = tokens.id_token;
    const claims = tokens.claims();
    if (idToken === undefined || claims === undefined) {
      throw new FederationError('invalid_id_token', 'the token response has no ID token');
    }
    // openid-client checked the claims; the signature is checked here, through the provider's JWKS.
    await verifyIdTokenSignature(idToken, {
      jwks: provider.jwks,
      algorithms: this.#algorithms,
      issuer: metadata.issuer,
      clientId: this.#options.clientId,
      clientSecret: this.#options.clientSecret,
      clockToleranceSeconds: this.#options.clockToleranceSeconds ?? 30,
    });
    const subject = claims.sub;

    let profile: Record<string, unknown> = claims;
    if (metadata.userinfo_endpoint !== undefined) {
      try {
        profile = await client.fetchUserInfo(provider.config, tokens.access_token, subject);
      } catch (error) {
        throw classifyProviderError(error, 'userinfo');
      }
      if (profile.sub !== subject) {
        throw new FederationError('userinfo_mismatch', 'the userinfo sub is not the ID token sub');
      }
    }
    // The address and what is said of it come from the same answer: userinfo's `email_verified` speaks of
    // userinfo's `email`, never of another address the ID token may carry.
    const fromProfile = stringClaim(profile.email);
    const email = fromProfile ?? stringClaim(claims.email);
    const verified = fromProfile === null ? claims.email_verified : profile.email_verified;
    return {
      identity: {
        provider: this.id,
        issuer: this.issuer,
        subject,
        email: email === null ? null : email.toLowerCase(),
        emailVerified: typeof verified === 'boolean' ? verified : null,
        name: stringClaim(profile.name) ?? stringClaim(claims.name),
        sid: stringClaim(claims.sid),
      },
      returnTo: record.returnTo,
      link: record.link,
    };
  }

  /**
   * Verifies an OIDC Back-Channel Logout token from this provider (signature through the JWKS, `iss`, `aud`,
   * `iat`, `typ: logout+jwt`, the logout event, no `nonce`, `sub` or `sid`), and records its `jti` so the
   * same token is refused the second time. Rejects with `FederationError` `invalid_logout_token`.
   */
  async verifyLogoutToken(token: unknown): Promise<LogoutRequest> {
    let provider;
    try {
      provider = await this.#discovery.get();
    } catch (error) {
      throw new FederationError('invalid_logout_token', 'the provider could not be discovered', {
        cause: error,
      });
    }
    return verifyLogoutToken(token, {
      jwks: provider.jwks,
      algorithms: this.#algorithms,
      issuer: provider.config.serverMetadata().issuer,
      clientId: this.#options.clientId,
      clientSecret: this.#options.clientSecret,
      clockToleranceSeconds: this.#options.clockToleranceSeconds ?? 30,
      store: this.#options.store,
      now: this.#clock.now(),
    });
  }
}

const stringClaim = (value: unknown): string | null =>
  typeof value === 'string' && value.length > 0 ? value : null;

/**
 * The checks on the authorization response made before any call to the token endpoint: `state` (compared
 * in constant time with the one the browser's record holds), the RFC 9207 `iss` parameter, and a provider
 * error. openid-client repeats them; doing them here gives each its own reason.
 */
function checkAuthorizationResponse(
  params: URLSearchParams,
  record: PreLoginRecord,
  metadata: client.ServerMetadata,
): void {
  const [state, ...more] = params.getAll('state');
  if (state === undefined || more.length > 0 || !sameString(state, record.state)) {
    throw new FederationError('state_mismatch', 'the state parameter does not match this browser');
  }
  const issuers = params.getAll('iss');
  if (issuers.length > 1 || (issuers.length === 1 && issuers[0] !== metadata.issuer)) {
    throw new FederationError('issuer_mismatch', 'the iss response parameter is not the provider');
  }
  if (issuers.length === 0 && metadata.authorization_response_iss_parameter_supported === true) {
    throw new FederationError('issuer_mismatch', 'the iss response parameter is missing');
  }
  if (params.has('error')) {
    throw new FederationError('provider_error', 'the provider refused the authorization request', {
      cause: { error: params.get('error')?.slice(0, 64) },
    });
  }
  if (params.getAll('code').length !== 1) {
    throw new FederationError('token_request_failed', 'the callback carries no single code');
  }
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqualBuffers(left, right);
}
