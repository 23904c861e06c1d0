import type { Logger } from 'pino';
import type { Clock } from 'cloakroom';
import type { Session } from 'cloakroom/session';
import type { SessionStore } from 'cloakroom/stores';
import { loadOrCreateKeyring, type SigningKeyring } from 'cloakroom/tokens';
import { SIGNING_ALGORITHMS } from 'cloakroom/tokens';
import { createVerifier, type TokenVerifier } from 'cloakroom/tokens';
import {
  readLiveSession,
  RefreshTokens,
  TokenIssuer,
  type ClientStore,
  type RefreshTokenStore,
} from 'cloakroom/tokens/issuer';
import type { AppUser } from '../http/env.js';
import type { EventSink } from 'cloakroom/events';
import { API_SCOPES, apiAudience, type TokenConfig } from './config.js';

/** The issuer and the site's own token checks, built once per process. */
export interface TokenServices {
  issuer: TokenIssuer;
  keyring: SigningKeyring;
  refresh: RefreshTokens;
  /** Verifies access tokens for the site's own API (`<origin>/api`), cached until each token's `exp`. */
  apiVerifier: TokenVerifier;
  apiAudience: string;
  /**
   * The live session `sessionId` of `userId` and its user (one store read), or `null` when it has ended
   * (revoked, expired, another user's, or the user is gone).
   */
  liveSession(sessionId: string, userId: string): Promise<{ session: Session; user: AppUser } | null>;
  /** Re-reads the keyring now (a rotation by `cloakroom keys rotate` in another process). */
  reloadKeys(): Promise<void>;
  close(): void;
}

export interface TokenServiceOptions {
  origin: string;
  dataDir: string;
  config: TokenConfig;
  stores: { refresh: RefreshTokenStore; clients: ClientStore };
  /** The site's session store, unwrapped: read to see whether a token's session is still live. */
  sessionStore: SessionStore<AppUser>;
  clock: Clock;
  log: Logger;
  /** The security event hook of the issuer (refresh reuse, token exchange, client credentials). */
  onEvent?: EventSink;
  /** How often the keyring file is re-read for rotations made by other processes. Default 5 s. */
  keyReloadIntervalMs?: number;
}

/**
 * Loads (or creates) the signing keyring in the data folder and builds the issuer on the refresh-token and
 * client stores. Every key is published before it signs: `cloakroom keys rotate` in another process is
 * picked up by the periodic reload (and at once by a JWKS request).
 */
export async function createTokenServices(options: TokenServiceOptions): Promise<TokenServices> {
  const { origin, config, clock, log, sessionStore } = options;
  const keyring = await loadOrCreateKeyring({ dir: options.dataDir, alg: config.signingAlgorithm, clock });

  const liveSession = (sessionId: string, userId: string) =>
    readLiveSession(sessionStore, sessionId, userId, clock);
  const isSessionLive = async (sessionId: string, userId: string) =>
    (await liveSession(sessionId, userId)) !== null;

  const refresh = new RefreshTokens({
    store: options.stores.refresh,
    clock,
    idleSeconds: config.refreshIdleSeconds,
    absoluteSeconds: config.refreshAbsoluteSeconds,
    isSessionLive,
    onReuse: (family) => {
      // Ids only: never a token.
      log.warn(
        { family: family.id, user: family.userId, client: family.clientId },
        'refresh token reused: family revoked',
      );
    },
  });
  const audience = apiAudience(origin);
  const verifierBase = { issuer: origin, algorithms: SIGNING_ALGORITHMS, jwks: keyring, clock } as const;
  const apiVerifier = createVerifier({ ...verifierBase, audience });
  const issuer = new TokenIssuer({
    issuer: origin,
    accessTokenSeconds: config.accessTokenSeconds,
    // The site's API first (the default), then the configured audiences with the configured scopes.
    sessionAudiences: [
      { audience, scopes: API_SCOPES },
      ...config.extraAudiences.map((extra) => ({ audience: extra, scopes: config.extraScopes })),
    ],
    keyring,
    refresh,
    clients: options.stores.clients,
    clock,
    isSessionLive,
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    verify: async (token, audiences) => {
      // Audiences change as clients are registered: a verifier per exchange, without the cache.
      const verifier = createVerifier({ ...verifierBase, audience: audiences, cache: false });
      return (await verifier.verify(token)).claims;
    },
  });

  const reloadKeys = async () => {
    await keyring.reload();
  };
  const timer = setInterval(() => {
    reloadKeys().catch((error: unknown) => {
      log.warn({ err: error instanceof Error ? error.message : 'unknown' }, 'signing keyring reload failed');
    });
  }, options.keyReloadIntervalMs ?? 5000);
  timer.unref();
  // Families past their absolute end are deleted hourly (revoked ones are kept until then, with the reason).
  const sweep = setInterval(() => {
    refresh.sweepExpired().catch((error: unknown) => {
      log.warn({ err: error instanceof Error ? error.message : 'unknown' }, 'refresh-token sweep failed');
    });
  }, 3600_000);
  sweep.unref();

  return {
    issuer,
    keyring,
    refresh,
    apiVerifier,
    apiAudience: audience,
    liveSession,
    reloadKeys,
    close: () => {
      clearInterval(timer);
      clearInterval(sweep);
    },
  };
}
