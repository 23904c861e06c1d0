import type { Request, RequestHandler } from 'express';
import { bearerErrorOf, type AuthenticateOptions } from './bearer.js';
import { accessTokenOfNode } from './node.js';
import type { TokenVerifier, VerifiedAccessToken } from './verify.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request's verified access token, set by {@link requireAccessToken}. */
    accessToken?: VerifiedAccessToken;
  }
}

/**
 * Express 5 middleware: lets the request through only with a valid bearer token (and the given scopes), put on
 * `req.accessToken`; otherwise answers RFC 6750 401/403 (503 when the issuer's keys are unreachable) itself.
 *
 * @example
 * ```ts
 * app.get('/notes', requireAccessToken(verifier, { scope: 'notes:read' }), (req, res) => {
 *   res.json({ user: accessTokenOf(req).claims.sub });
 * });
 * ```
 */
export function requireAccessToken(
  verifier: TokenVerifier,
  options: AuthenticateOptions & { realm?: string } = {},
): RequestHandler {
  return async (req, res, next) => {
    try {
      req.accessToken = await accessTokenOfNode(verifier, req, options);
    } catch (error) {
      const answer = bearerErrorOf(error, options);
      if (answer === null) {
        next(error);
        return;
      }
      res.status(answer.status).set(answer.headers).set('cache-control', 'no-store').json(answer.body);
      return;
    }
    next();
  };
}

/** The request's verified token; throws if {@link requireAccessToken} did not run for this route. */
export function accessTokenOf(req: Request): VerifiedAccessToken {
  if (req.accessToken === undefined) throw new TypeError('the requireAccessToken() middleware did not run');
  return req.accessToken;
}
