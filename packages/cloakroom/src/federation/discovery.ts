import * as client from 'openid-client';
import { createRemoteJWKSet, customFetch as joseCustomFetch } from 'jose';
import { FederationError } from './errors.js';
import { isLoopbackHttp, parseIssuer } from './issuer.js';

/** A `fetch` to use for every call to the provider (discovery, token, userinfo, JWKS): a test seam. */
export type FetchFunction = client.CustomFetch;

export interface DiscoveryOptions {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Seconds before a call to the provider is abandoned. Default 10. */
  timeoutSeconds: number;
  /**
   * After an ID token signed with an unknown `kid`, the JWKS is fetched again, at most once per this many
   * seconds. Default 30; tests of key rotation use 0.
   */
  jwksCooldownSeconds: number;
  fetch?: FetchFunction;
}

/** The discovered provider: openid-client's configuration and a JWKS that follows key rotation. */
export interface DiscoveredProvider {
  config: client.Configuration;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

/**
 * Discovery, once per provider: the metadata is fetched on first use and kept; a failure is not kept, so
 * the next sign-in tries again. The issuer in the metadata must be the configured one byte for byte, and
 * every endpoint must be https unless the issuer is a loopback http one.
 */
export class ProviderDiscovery {
  readonly #options: DiscoveryOptions;
  readonly #issuer: URL;
  #pending: Promise<DiscoveredProvider> | null = null;

  constructor(options: DiscoveryOptions) {
    this.#options = options;
    this.#issuer = parseIssuer(options.issuer);
  }

  get(): Promise<DiscoveredProvider> {
    this.#pending ??= this.#discover().catch((error: unknown) => {
      this.#pending = null;
      throw error;
    });
    return this.#pending;
  }

  async #discover(): Promise<DiscoveredProvider> {
    const { clientId, clientSecret, timeoutSeconds } = this.#options;
    const loopback = isLoopbackHttp(this.#issuer);
    let config: client.Configuration;
    try {
      config = await client.discovery(
        this.#issuer,
        clientId,
        clientSecret === undefined ? {} : { client_secret: clientSecret },
        clientSecret === undefined ? client.None() : client.ClientSecretBasic(clientSecret),
        {
          timeout: timeoutSeconds,
          // Only for loopback http issuers (development and tests); everything else stays https-only.
          // eslint-disable-next-line @typescript-eslint/no-deprecated
          execute: loopback ? [client.allowInsecureRequests] : [],
          ...(this.#options.fetch === undefined ? {} : { [client.customFetch]: this.#options.fetch }),
        },
      );
    } catch (error) {
      throw new FederationError('provider_unavailable', 'OpenID provider discovery failed', { cause: error });
    }
    const metadata = config.serverMetadata();
    // openid-client compares the two as parsed URLs, so `https://idp.example` and `https://idp.example/` (or
    // a host's case, an explicit :443) pass. OpenID Connect Discovery 1.0 section 4.3 wants them identical,
    // and the site keys identity links and provider sessions by the issuer: two spellings of one issuer
    // would store under one and look up under the other. Issuers are public, so the error names both.
    if (metadata.issuer !== this.#options.issuer) {
      throw new FederationError(
        'provider_unavailable',
        `the provider's discovered issuer ${JSON.stringify(metadata.issuer)} is not the configured issuer ` +
          `${JSON.stringify(this.#options.issuer)} (they must be identical, OpenID Connect Discovery 1.0 ` +
          'section 4.3): configure the provider with its exact issuer',
      );
    }
    if (metadata.jwks_uri === undefined) {
      throw new FederationError('provider_unavailable', 'the provider publishes no jwks_uri');
    }
    const jwksUri = new URL(metadata.jwks_uri);
    if (jwksUri.protocol !== 'https:' && !(loopback && isLoopbackHttp(jwksUri))) {
      throw new FederationError('provider_unavailable', 'the provider jwks_uri is not https');
    }
    const jwks = createRemoteJWKSet(jwksUri, {
      cooldownDuration: this.#options.jwksCooldownSeconds * 1000,
      timeoutDuration: timeoutSeconds * 1000,
      ...(this.#options.fetch === undefined
        ? {}
        : {
            [joseCustomFetch]: this.#options.fetch as (url: string, init: RequestInit) => Promise<Response>,
          }),
    });
    return { config, jwks };
  }
}
