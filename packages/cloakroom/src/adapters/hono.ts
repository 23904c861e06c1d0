import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { httpErrorOf } from '../errors.js';
import type { SessionUser } from '../stores/index.js';
import {
  DEFAULT_RECENT_AUTH_SECONDS,
  recentAuthGuard,
  type RequestSession,
  type SessionManager,
} from '../session/index.js';
import type { TrustedProxies } from './client-address.js';
import { lastPerCookie } from './set-cookie.js';
import { sessionOf } from './web.js';

/**
 * The Hono environment the {@link cloakroom} middleware provides: `c.get('session')` (or `c.var.session`) is
 * the request's session. Combine it with your own bindings: `new Hono<SessionEnv<User> & { Bindings: … }>()`.
 */
export interface SessionEnv<U = SessionUser> {
  Variables: { session: RequestSession<U> };
}

/** Options of the {@link cloakroom} middleware. */
export interface HonoSessionOptions {
  /**
   * The client's address (a `Request` does not carry it). On `@hono/node-server`:
   * `(c) => getConnInfo(c).remote.address ?? null` from `@hono/node-server/conninfo`; on other runtimes their
   * `getConnInfo` helper. Default: no address is recorded.
   */
  ipOf?: (c: Context) => string | null;
  /** The reverse proxies in front of the server (see `trustedProxies` in `cloakroom/http`). */
  trustedProxies?: TrustedProxies;
}

/** The documented JSON answer for a Cloakroom error, never cacheable; `null` for any other error. */
function errorAnswer(c: Context, error: unknown): Response | null {
  const known = httpErrorOf(error);
  if (known === null) return null;
  return c.json(known.body, known.status as ContentfulStatusCode, {
    ...known.headers,
    'cache-control': 'no-store',
  });
}

/**
 * Hono 4 middleware: reads every request's session (after the cross-site request checks) into
 * `c.get('session')`, and writes its cookie changes on the response once, after the handler ran. Cloakroom's
 * errors, from the session read or thrown in a route (Hono hands those to middleware as `c.error`), are
 * answered with their documented JSON body and status (403 `csrf_rejected`, 503 `store_unavailable`, …);
 * other errors are left to the application's `onError`.
 *
 * It uses only Web APIs on the request path, so it runs wherever Hono does; which session stores work there
 * is the store's question (docs/sessions.md, "Hono").
 *
 * @example
 * ```ts
 * const app = new Hono<SessionEnv>();
 * app.use(cloakroom(sessions));
 * app.get('/me', (c) => {
 *   const { user } = c.get('session');
 *   return user ? c.json({ user }) : c.json({ error: { code: 'unauthenticated', message: 'Sign in.' } }, 401);
 * });
 * ```
 */
export function cloakroom<U>(
  manager: SessionManager<U>,
  options: HonoSessionOptions = {},
): MiddlewareHandler<SessionEnv<U>> {
  return async (c, next) => {
    let setCookies: string[];
    try {
      const loaded = await sessionOf(manager, c.req.raw, {
        ip: options.ipOf?.(c) ?? null,
        trustedProxies: options.trustedProxies,
      });
      c.set('session', loaded.session);
      setCookies = loaded.setCookies;
    } catch (error) {
      const answer = errorAnswer(c, error);
      if (answer === null) throw error;
      return answer;
    }
    await next();
    if (c.error !== undefined) {
      const answer = errorAnswer(c, c.error);
      if (answer !== null) c.res = answer;
    }
    // One Set-Cookie per cookie name, written once whatever the route did in between (signing in over a stale
    // cookie clears it, then sets the new one: only the new one goes out).
    if (setCookies.length > 0) {
      for (const value of lastPerCookie(setCookies)) c.header('set-cookie', value, { append: true });
      c.header('cache-control', 'no-store');
    }
    return undefined;
  };
}

/**
 * Route middleware that lets the request through only when its user proved who they are within the last
 * `maxAgeSeconds` (default 600: ten minutes); otherwise it answers 401 `unauthenticated` (no session) or 401
 * `reauthentication_required`. Use it after {@link cloakroom}.
 *
 * @example
 * ```ts
 * app.post('/account/password', requireRecentAuth(), async (c) => { … });
 * ```
 */
export function requireRecentAuth<U>(
  maxAgeSeconds: number = DEFAULT_RECENT_AUTH_SECONDS,
): MiddlewareHandler<SessionEnv<U>> {
  const guard = recentAuthGuard(maxAgeSeconds);
  return async (c, next) => {
    try {
      guard(c.get('session'));
    } catch (error) {
      const answer = errorAnswer(c, error);
      if (answer === null) throw error;
      return answer;
    }
    await next();
    return undefined;
  };
}

export { trustedProxies, type TrustedProxies } from './client-address.js';
