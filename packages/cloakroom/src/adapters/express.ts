import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { SessionUser } from '../stores/index.js';
import { httpErrorOf } from '../errors.js';
import {
  DEFAULT_RECENT_AUTH_SECONDS,
  recentAuthGuard,
  type RequestSession,
  type SessionManager,
} from '../session/index.js';
import type { TrustedProxies } from './client-address.js';
import { requestInfoOfNode, sessionOfNode } from './node.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request's session, set by the Cloakroom middleware. */
    cloakroom?: RequestSession<unknown>;
  }
}

/**
 * Express 5 middleware: reads the session of every request into `req.cloakroom` (see {@link sessionOf}),
 * applies the cross-site request checks, and answers 403 `csrf_rejected` / 503 `store_unavailable` itself.
 * The client address is `req.ip`, so Express's `trust proxy` setting decides it, unless
 * `options.trustedProxies` is given (made by `trustedProxies`): then Cloakroom's own rule decides it from the
 * socket's peer, the same as in the other adapters.
 *
 * @example
 * ```ts
 * app.use(cloakroom(sessions));
 * app.get('/me', (req, res) => {
 *   const { user } = sessionOf(req);
 *   if (!user) return res.status(401).json({ error: { code: 'unauthenticated', message: 'Sign in.' } });
 *   res.json({ user });
 * });
 * app.use(cloakroomErrors());
 * ```
 */
export function cloakroom<U>(
  manager: SessionManager<U>,
  options: { trustedProxies?: TrustedProxies } = {},
): RequestHandler {
  const { trustedProxies } = options;
  return async (req, res, next) => {
    try {
      const info =
        trustedProxies === undefined
          ? { ...requestInfoOfNode(req), ip: req.ip ?? req.socket.remoteAddress ?? null }
          : requestInfoOfNode(req, { trustedProxies });
      req.cloakroom = await sessionOfNode(manager, req, res, info);
      next();
    } catch (error) {
      const known = httpErrorOf(error);
      if (known === null) {
        next(error);
        return;
      }
      res.status(known.status).set(known.headers).set('cache-control', 'no-store').json(known.body);
    }
  };
}

/** The request's session; throws if the {@link cloakroom} middleware did not run for this route. */
export function sessionOf<U = SessionUser>(req: Request): RequestSession<U> {
  if (req.cloakroom === undefined)
    throw new TypeError('the cloakroom() middleware did not run for this request');
  return req.cloakroom as RequestSession<U>;
}

/**
 * Error middleware that answers Cloakroom errors thrown in routes (a refused sign-in, a store outage) with
 * their documented JSON body; other errors go on to the next error handler.
 */
export function cloakroomErrors(): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    const known = httpErrorOf(error);
    if (known === null || res.headersSent) {
      next(error);
      return;
    }
    res.status(known.status).set(known.headers).set('cache-control', 'no-store').json(known.body);
  };
}

/**
 * Route middleware that lets the request through only when its user proved who they are within the last
 * `maxAgeSeconds` (default 600: ten minutes); otherwise it answers 401 `unauthenticated` (no session) or
 * 401 `reauthentication_required` itself. Put it after {@link cloakroom}, on the routes for sensitive actions.
 *
 * @example
 * ```ts
 * app.post('/account/password', requireRecentAuth(), async (req, res) => { … });
 * ```
 */
export function requireRecentAuth(maxAgeSeconds: number = DEFAULT_RECENT_AUTH_SECONDS): RequestHandler {
  const guard = recentAuthGuard(maxAgeSeconds);
  return (req, res, next) => {
    try {
      guard(sessionOf(req));
    } catch (error) {
      const known = httpErrorOf(error);
      if (known === null) {
        next(error);
        return;
      }
      res.status(known.status).set(known.headers).set('cache-control', 'no-store').json(known.body);
      return;
    }
    next();
  };
}

export { trustedProxies, type TrustedProxies } from './client-address.js';
