/**
 * How a route authenticates, as the route table declares it (`auth` in the router's `RouteOptions`), and
 * the bearer half of the step the router runs once, before the handler. The cookie half is the library's
 * `loadRequestSession`, called by the router itself.
 */
import { RequestSession, type Session } from 'cloakroom';
import type { SessionManager } from 'cloakroom/session';
import { InvalidTokenError, bearerErrorOf } from 'cloakroom/tokens';
import type { RequestContext } from './context.js';
import type { AppUser } from './env.js';
import { json, type Reply } from './reply.js';

/** The methods a route can list (HEAD is answered by GET's handler, with GET's authentication). */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * For each method an access token may call, the scopes the token needs (all of them; `[]` for none). A
 * method left out needs the browser session: a valid token there is 403 `insufficient_scope`.
 */
export type BearerScopes<M extends RouteMethod = RouteMethod> = Partial<Record<M, readonly string[]>>;

/**
 * How a route authenticates its requests; the router does it before the handler runs.
 *
 * - `'none'`: no credential is read. The handler has no `ctx.session`, the store is never read for the
 *   session and no `Set-Cookie` is ever sent (static assets, the health check, endpoints that authenticate
 *   otherwise: OAuth clients, a provider's back-channel logout).
 * - `'cookie'`: the cookie session (`ctx.session`), with the CSRF checks for unsafe methods (403
 *   `csrf_rejected`); a cookie that gives no session is cleared. An `Authorization` header is not looked at.
 * - `{ cookieOrBearer: { scopes } }` (JSON routes only): `Authorization: Bearer <access token>` means the
 *   token and nothing else: verified for the site's API audience, its `sid` session still live, its scopes
 *   enough for the method (RFC 6750 401/403 otherwise). Such a request reads no cookie, skips the CSRF checks
 *   (it carries no ambient credential) and can never set a cookie. Without a bearer token: as `'cookie'`.
 */
export type RouteAuth<M extends RouteMethod = RouteMethod> =
  'none' | 'cookie' | { cookieOrBearer: { scopes: BearerScopes<M> } };

/**
 * A JSON route that needs the browser session itself (account changes, minting tokens). An access token
 * there is still verified, so an invalid one is 401 as everywhere on the API, but no method accepts it: a
 * valid token is 403 `insufficient_scope`, and nothing happens.
 */
export const BROWSER_SESSION_ONLY = Object.freeze({
  cookieOrBearer: Object.freeze({ scopes: Object.freeze({}) }),
}) satisfies RouteAuth;

/** One method's authentication, resolved when the route is registered (no lookup per request). */
export type MethodAuth = { kind: 'none' } | { kind: 'cookie' } | BearerMethodAuth;

/** A `cookieOrBearer` method: its authenticator and the scopes a token needs (`null`: no token may). */
export interface BearerMethodAuth {
  kind: 'cookieOrBearer';
  authenticate: BearerAuthenticator;
  scopes: readonly string[] | null;
}

export const NO_AUTH: MethodAuth = Object.freeze({ kind: 'none' });
const COOKIE_AUTH: MethodAuth = Object.freeze({ kind: 'cookie' });

/**
 * Resolves a route's declaration for one of its methods. A `cookieOrBearer` route needs `authenticate`
 * (`TypeError` without it, when the route is registered).
 */
export function methodAuth(
  auth: RouteAuth,
  method: RouteMethod,
  authenticate: BearerAuthenticator | undefined,
): MethodAuth {
  if (auth === 'none') return NO_AUTH;
  if (auth === 'cookie') return COOKIE_AUTH;
  if (authenticate === undefined) throw new TypeError('a cookieOrBearer route needs a bearer authenticator');
  return { kind: 'cookieOrBearer', authenticate, scopes: auth.cookieOrBearer.scopes[method] ?? null };
}

/**
 * Verifies an `Authorization: Bearer` header for the site's API and checks `scopes`; resolves to the
 * token's still-live session and its user. Rejects with the tokens library's errors (`InvalidTokenError`,
 * `InsufficientScopeError`, `KeySetUnavailableError`), or a store error.
 */
export type BearerAuthenticator = (
  authorization: string,
  scopes: readonly string[],
) => Promise<{ session: Session; user: AppUser }>;

const NO_COOKIE = () => {
  // A bearer request never sets a cookie: reaching this is a bug, answered 500 rather than done silently.
  throw new TypeError('a bearer-token request cannot change the cookie session');
};

const SESSION_ONLY_BODY = {
  error: {
    code: 'insufficient_scope',
    message: 'This endpoint needs a signed-in browser session, not an access token.',
  },
};

/**
 * The bearer half of a `cookieOrBearer` route: authenticates the token and gives the request its
 * (read-only) session. Resolves to `null` when the handler may run, else to the refusal: RFC 6750 401 for
 * any invalid token (on every method), 403 `insufficient_scope` for missing scopes or for a method that
 * needs the browser session. Other failures (the store) reject, for the route's error answer.
 */
export async function useBearerSession(
  ctx: RequestContext,
  sessions: SessionManager<AppUser>,
  auth: BearerMethodAuth,
): Promise<Reply | null> {
  const { scopes } = auth;
  try {
    // A valid token on a session-only method is 403, an invalid one 401: it is verified in both cases.
    const live = await auth.authenticate(ctx.header('authorization') ?? '', scopes ?? []);
    const info = { ...ctx.requestInfo(), cookie: null };
    ctx.useSession(new RequestSession(sessions, info, NO_COOKIE, { ...live, rejected: null }));
  } catch (error) {
    const answer = bearerErrorOf(error, {});
    if (answer === null) throw error;
    if (answer.status === 401) ctx.log.info({ reason: reasonOf(error) }, 'bearer token refused');
    return json(answer.body, answer.status, { ...answer.headers, 'cache-control': 'no-store' });
  }
  if (scopes === null) {
    return json(SESSION_ONLY_BODY, 403, { 'www-authenticate': 'Bearer error="insufficient_scope"' });
  }
  return null;
}

const reasonOf = (error: unknown) => (error instanceof InvalidTokenError ? error.reason : 'missing');
