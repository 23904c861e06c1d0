import { isSigningAlgorithm, type SigningAlgorithm } from 'cloakroom/tokens';
import { DEFAULT_ACCESS_TOKEN_SECONDS, MAX_ACCESS_TOKEN_SECONDS } from 'cloakroom/tokens';
import { AUDIENCE, SCOPE_TOKEN } from 'cloakroom/tokens/issuer';

/** The scopes of the site's own API. Reading the profile (`/api/me`) needs none. */
export const API_SCOPES = ['notes:read', 'notes:write'] as const;

/** How the site issues tokens; from the environment, see {@link tokenConfigFromEnv}. */
export interface TokenConfig {
  /** Access-token lifetime in seconds: default 300, at most 3600. */
  accessTokenSeconds: number;
  /** Refresh tokens unused this long die (default 7 days). */
  refreshIdleSeconds: number;
  /** A refresh-token family's hard end (default 30 days); never past its session's. */
  refreshAbsoluteSeconds: number;
  /** The algorithm of newly generated signing keys (default EdDSA). */
  signingAlgorithm: SigningAlgorithm;
  /** Audiences besides the site's own API that a signed-in user may get tokens for. */
  extraAudiences: string[];
  /** Scopes besides the API's own that a signed-in user may put in such tokens. */
  extraScopes: string[];
}

const DAY = 24 * 3600;

/**
 * Reads `CLOAKROOM_ACCESS_TOKEN_SECONDS` (300; more than 3600 is refused, not capped, so a typo cannot
 * silently mint long-lived tokens), `CLOAKROOM_REFRESH_IDLE_SECONDS` (7 days),
 * `CLOAKROOM_REFRESH_ABSOLUTE_SECONDS` (30 days), `CLOAKROOM_SIGNING_ALG` (EdDSA, ES256 or RS256),
 * `CLOAKROOM_TOKEN_AUDIENCES` and `CLOAKROOM_TOKEN_SCOPES` (space- or comma-separated). `fail` throws the
 * caller's configuration error with a message that names the variable.
 */
export function tokenConfigFromEnv(
  env: Record<string, string | undefined>,
  fail: (message: string) => never,
): TokenConfig {
  const seconds = (name: string, fallback: number, max: number): number => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if (!/^\d{1,10}$/.test(value)) fail(`${name} must be a whole number of seconds`);
    const number = Number(value);
    if (number < 1 || number > max) fail(`${name} must be between 1 and ${max} (seconds)`);
    return number;
  };
  const list = (name: string, pattern: RegExp, what: string): string[] => {
    const items = (env[name] ?? '').split(/[\s,]+/).filter((item) => item !== '');
    for (const item of items) if (!pattern.test(item)) fail(`${name} holds something that is not ${what}`);
    return [...new Set(items)];
  };
  const refreshAbsoluteSeconds = seconds('CLOAKROOM_REFRESH_ABSOLUTE_SECONDS', 30 * DAY, 365 * DAY);
  const refreshIdleSeconds = seconds('CLOAKROOM_REFRESH_IDLE_SECONDS', 7 * DAY, 365 * DAY);
  if (refreshIdleSeconds > refreshAbsoluteSeconds) {
    fail('CLOAKROOM_REFRESH_IDLE_SECONDS must not exceed CLOAKROOM_REFRESH_ABSOLUTE_SECONDS');
  }
  const alg = env.CLOAKROOM_SIGNING_ALG ?? 'EdDSA';
  if (!isSigningAlgorithm(alg)) fail('CLOAKROOM_SIGNING_ALG must be EdDSA, ES256 or RS256');
  return {
    accessTokenSeconds: seconds(
      'CLOAKROOM_ACCESS_TOKEN_SECONDS',
      DEFAULT_ACCESS_TOKEN_SECONDS,
      MAX_ACCESS_TOKEN_SECONDS,
    ),
    refreshIdleSeconds,
    refreshAbsoluteSeconds,
    signingAlgorithm: alg,
    extraAudiences: list('CLOAKROOM_TOKEN_AUDIENCES', AUDIENCE, 'an audience'),
    extraScopes: list('CLOAKROOM_TOKEN_SCOPES', SCOPE_TOKEN, 'a scope'),
  };
}

/** The site's own API as an audience: `<origin>/api`. */
export const apiAudience = (origin: string) => `${origin}/api`;
