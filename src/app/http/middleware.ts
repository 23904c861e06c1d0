import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { loadRequestSession, type RequestInfo } from '../../http/request-session.js';
import { lastPerCookie } from '../../http/set-cookie.js';
import type { SessionManager } from '../../session/manager.js';
import type { AppEnv, AppUser } from './env.js';

/**
 * Gives each request an id (echoed in `X-Request-Id`) and a child logger, and logs one line per request:
 * method, path (never the query string, which could carry secrets), status, duration. Never headers, so
 * never a cookie.
 */
export function requestContext(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = randomUUID();
    const started = performance.now();
    // A child logger per request costs even when nothing is logged: only make one when logging is on.
    const child = log.isLevelEnabled('error') ? log.child({ requestId }) : log;
    c.set('requestId', requestId);
    c.set('log', child);
    await next();
    c.res.headers.set('x-request-id', requestId);
    child.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  };
}

/**
 * Headers for every response: a CSP with no script at all, no MIME sniffing, no referrer to other sites, no
 * framing. Pages
 * and API answers that depend on the session are `Cache-Control: no-store`.
 */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    headers.set(
      'content-security-policy',
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    headers.set('x-content-type-options', 'nosniff');
    // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` even on same-origin
    // form posts, which the CSRF checks refuse. Other sites still get no referrer.
    headers.set('referrer-policy', 'same-origin');
    headers.set('x-frame-options', 'DENY');
    headers.set('cross-origin-opener-policy', 'same-origin');
    if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
  };
}

/** The request's session headers and client address (the socket's peer: the site does not trust proxies). */
export function requestInfoOf(c: Parameters<MiddlewareHandler<AppEnv>>[0]): RequestInfo {
  const header = (name: string) => c.req.header(name) ?? null;
  return {
    method: c.req.method,
    cookie: header('cookie'),
    origin: header('origin'),
    secFetchSite: header('sec-fetch-site'),
    userAgent: header('user-agent'),
    ip: c.env.incoming.socket.remoteAddress ?? null,
  };
}

/**
 * Loads the request's session into `c.get('session')` (origin checks included; their errors go to the error
 * handler) and puts every `Set-Cookie` the request's session produced on the response.
 */
export function sessions(manager: SessionManager<AppUser>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const setCookies: string[] = [];
    try {
      c.set(
        'session',
        await loadRequestSession(manager, requestInfoOf(c), (value) => setCookies.push(value)),
      );
      await next();
    } finally {
      // Also on errors: a session ended before a failure must still have its cookie cleared.
      for (const value of lastPerCookie(setCookies)) c.res.headers.append('set-cookie', value);
    }
  };
}
