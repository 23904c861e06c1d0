import { RequestSession, loadRequestSession } from 'cloakroom';
import { InvalidTokenError } from 'cloakroom/tokens';
import { authenticateBearer, bearerErrorOf, readBearerToken } from 'cloakroom/tokens';
import type { RequestContext } from '../http/context.js';
import { json, type Reply } from '../http/reply.js';
import type { Handler, MethodHandlers } from '../http/router.js';
import type { AppServices } from '../services.js';

type Method = keyof MethodHandlers;

/**
 * What an access token may do on the site's API: the scopes each route needs. Reading the profile needs
 * none. Routes not listed (signing in and out, passwords, sessions, minting tokens) need the browser
 * session itself: a bearer token there is 403 `insufficient_scope`.
 */
const BEARER_SCOPES: Record<string, Partial<Record<Method, readonly string[]>>> = {
  '/api/me': { GET: [] },
  '/api/notes': { GET: ['notes:read'], POST: ['notes:write'] },
  '/api/notes/:id': { GET: ['notes:read'], PATCH: ['notes:write'], DELETE: ['notes:write'] },
};

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
 * Wraps an `/api` route's handlers so that each accepts either the cookie session (loaded here, with the
 * CSRF checks, as the router would) or `Authorization: Bearer <access token>` for the site's API audience:
 * verified with the issuer's own keys (RFC 6750 401/403 through the tokens library), its `sid` session
 * still live (a revoked session's tokens are refused at once), its scopes enough for the route. A bearer
 * request never reads the cookie, skips the CSRF checks (it carries no ambient credential) and never sets
 * a cookie. Register the route with `session: false`.
 *
 * @example
 * ```ts
 * router.route('/api/notes', { errors: 'json', session: false }, withApiAccess(services, '/api/notes', {
 *   GET: (ctx) => json({ notes: list(ctx.session.user) }), // cookie, or a token with notes:read
 * }));
 * ```
 */
export function withApiAccess(services: AppServices, path: string, handlers: MethodHandlers): MethodHandlers {
  const wrapped: MethodHandlers = {};
  for (const [method, handler] of Object.entries(handlers) as [Method, Handler | undefined][]) {
    if (handler === undefined) continue;
    const scopes = BEARER_SCOPES[path]?.[method];
    wrapped[method] = async (ctx) => {
      const authorization = ctx.header('authorization');
      if (readBearerToken(authorization) === null) {
        // The cookie session, loaded as the router would (with the CSRF checks); inline, without an async
        // frame of its own, as this is the path of every browser request to the API.
        ctx.useSession(await loadRequestSession(services.sessions, ctx.requestInfo(), ctx.setCookieSink));
        return handler(ctx);
      }
      // An invalid token is 401 everywhere; a valid one on a session-only route is 403.
      const refused = await useBearerSession(ctx, services, authorization, scopes ?? []);
      if (refused !== null) return refused;
      if (scopes === undefined) return json(SESSION_ONLY_BODY, 403, bearerChallenge('insufficient_scope'));
      return handler(ctx);
    };
  }
  return wrapped;
}

const bearerChallenge = (error: string) => ({ 'www-authenticate': `Bearer error="${error}"` });

/** Verifies the bearer token and sets the request's (read-only) session; resolves to a refusal reply or `null`. */
async function useBearerSession(
  ctx: RequestContext,
  services: AppServices,
  authorization: string | undefined,
  scopes: readonly string[],
): Promise<Reply | null> {
  const { tokens, sessions } = services;
  try {
    const token = await authenticateBearer(tokens.apiVerifier, authorization, { scope: scopes });
    const { sid } = token.claims;
    // The site's API is per user: only tokens minted from a session (or exchanged from one) reach it.
    const live = sid === undefined ? null : await tokens.liveSession(sid, token.claims.sub);
    if (live === null) throw new InvalidTokenError('claim_invalid', 'the session of the token has ended');
    const info = { ...ctx.requestInfo(), cookie: null };
    ctx.useSession(
      new RequestSession(sessions, info, NO_COOKIE, {
        session: live.session,
        user: live.user,
        rejected: null,
      }),
    );
    return null;
  } catch (error) {
    const answer = bearerErrorOf(error, {});
    if (answer === null) throw error;
    if (answer.status === 401) ctx.log.info({ reason: reasonOf(error) }, 'bearer token refused');
    return json(answer.body, answer.status, { ...answer.headers, 'cache-control': 'no-store' });
  }
}

const reasonOf = (error: unknown) => (error instanceof InvalidTokenError ? error.reason : 'missing');
