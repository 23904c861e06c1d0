import { httpErrorOf } from '../errors.js';
import {
  DEFAULT_RECENT_AUTH_SECONDS,
  loadRequestSession,
  recentAuthGuard,
  type RequestInfo,
  type RequestSession,
  type SessionManager,
} from '../session/index.js';
import { clientAddress, type TrustedProxies } from './client-address.js';
import { lastPerCookie } from './set-cookie.js';

/** The session-relevant headers of a Web `Request`. The client address is not in a `Request`: pass it. */
export function requestInfoOf(request: Request, ip: string | null = null): RequestInfo {
  const { headers } = request;
  return {
    method: request.method,
    cookie: headers.get('cookie'),
    origin: headers.get('origin'),
    secFetchSite: headers.get('sec-fetch-site'),
    userAgent: headers.get('user-agent'),
    ip,
    authorization: headers.get('authorization'),
  };
}

/** A request's session plus the `Set-Cookie` values it has produced so far. */
export interface WebRequestSession<U> {
  session: RequestSession<U>;
  setCookies: string[];
}

/** Where a Web request's client address comes from. */
export interface WebAddressOptions {
  /** The connection's peer address, from the server (a `Request` does not carry it). */
  ip?: string | null;
  /**
   * The reverse proxies in front of the server (see {@link trustedProxies}): when `ip` is one of them, the
   * address is the right-most forwarded hop that is not. Off by default: the address is `ip`.
   */
  trustedProxies?: TrustedProxies;
}

/** Reads a Web `Request`'s session. Rejects with `CsrfRejectedError` or `StoreUnavailableError`. */
export async function sessionOf<U>(
  manager: SessionManager<U>,
  request: Request,
  options: WebAddressOptions = {},
): Promise<WebRequestSession<U>> {
  const setCookies: string[] = [];
  const peer = options.ip ?? null;
  const ip = clientAddress(peer, (name) => request.headers.get(name), options.trustedProxies);
  const session = await loadRequestSession(manager, requestInfoOf(request, ip), (value) =>
    setCookies.push(value),
  );
  return { session, setCookies };
}

/**
 * A copy of `response` carrying the session's `Set-Cookie` values. A response that sets a session cookie
 * is marked `Cache-Control: no-store` so no shared cache keeps it.
 */
export function withSessionCookies(response: Response, setCookies: readonly string[]): Response {
  if (setCookies.length === 0) return response;
  const copy = new Response(response.body, response);
  for (const value of lastPerCookie(setCookies)) copy.headers.append('set-cookie', value);
  copy.headers.set('cache-control', 'no-store');
  return copy;
}

/** The documented JSON error response for a Cloakroom error, or `null` for any other error. */
export function errorResponseOf(error: unknown): Response | null {
  const known = httpErrorOf(error);
  if (known === null) return null;
  return Response.json(known.body, {
    status: known.status,
    headers: { ...known.headers, 'cache-control': 'no-store' },
  });
}

export type SessionHandler<U> = (
  request: Request,
  session: RequestSession<U>,
) => Response | Promise<Response>;

/**
 * Wraps a fetch-style handler (Hono, Bun, Deno, any `Request` → `Response` server) with sessions: the
 * handler gets the request's session, its cookie changes reach the response, and Cloakroom errors become
 * their documented 403/503 JSON responses. Other errors propagate to the server's own handling.
 *
 * @example
 * ```ts
 * const handle = withSessions(sessions, async (request, session) =>
 *   session.user ? Response.json({ user: session.user }) : new Response(null, { status: 401 }));
 * ```
 */
export function withSessions<U>(
  manager: SessionManager<U>,
  handler: SessionHandler<U>,
  options: { ipOf?: (request: Request) => string | null; trustedProxies?: TrustedProxies } = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    let loaded: WebRequestSession<U>;
    try {
      loaded = await sessionOf(manager, request, {
        ip: options.ipOf?.(request) ?? null,
        trustedProxies: options.trustedProxies,
      });
      const response = await handler(request, loaded.session);
      return withSessionCookies(response, loaded.setCookies);
    } catch (error) {
      const response = errorResponseOf(error);
      if (response === null) throw error;
      return response;
    }
  };
}

/**
 * Guards a fetch-style handler behind a recent sign-in: the wrapped handler runs only when the request's
 * user proved who they are within the last `maxAgeSeconds` (default 600: ten minutes); otherwise
 * `withSessions` answers 401 `unauthenticated` (no session) or 401 `reauthentication_required`. For changing
 * the password or email, deleting the account, creating credentials.
 *
 * @example
 * ```ts
 * const deleteAccount = withSessions(sessions, requireRecentAuth()(async (request, session) => {
 *   await accounts.delete(session.session!.userId);
 *   return new Response(null, { status: 204 });
 * }));
 * ```
 */
export function requireRecentAuth(
  maxAgeSeconds: number = DEFAULT_RECENT_AUTH_SECONDS,
): <U>(handler: SessionHandler<U>) => SessionHandler<U> {
  const guard = recentAuthGuard(maxAgeSeconds);
  return (handler) => (request, session) => {
    guard(session);
    return handler(request, session);
  };
}

export { RequestSession, type RequestInfo } from '../session/index.js';
export { lastPerCookie } from './set-cookie.js';
export {
  clientAddress,
  trustedProxies,
  type ForwardedHeader,
  type TrustedProxies,
  type TrustedProxiesOptions,
} from './client-address.js';
