import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpErrorOf } from '../errors.js';
import {
  DEFAULT_RECENT_AUTH_SECONDS,
  loadRequestSession,
  recentAuthGuard,
  type RequestInfo,
  type RequestSession,
  type Session,
  type SessionManager,
} from '../session/index.js';
import { sendJsonAnswer } from '../lib/send-json.js';
import { clientAddress, type TrustedProxies } from './client-address.js';
import { lastPerCookie } from './set-cookie.js';

function header(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  // node joins repeated headers with ", "; a joined Origin matches no trusted origin and is refused.
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Options of {@link requestInfoOfNode}. */
export interface NodeRequestInfoOptions {
  /**
   * The reverse proxies in front of the server (see {@link trustedProxies}): when the socket's peer is one,
   * the address is the right-most forwarded hop that is not. Off by default: the address is the peer.
   */
  trustedProxies?: TrustedProxies;
}

/** The session-relevant parts of a `node:http` request; the address is the socket's peer (see `options`). */
export function requestInfoOfNode(req: IncomingMessage, options: NodeRequestInfoOptions = {}): RequestInfo {
  const peer = req.socket.remoteAddress ?? null;
  return {
    method: req.method ?? 'GET',
    cookie: header(req.headers.cookie),
    origin: header(req.headers.origin),
    secFetchSite: header(req.headers['sec-fetch-site']),
    userAgent: header(req.headers['user-agent']),
    authorization: header(req.headers.authorization),
    ip:
      options.trustedProxies === undefined
        ? peer
        : clientAddress(peer, (name) => header(req.headers[name]), options.trustedProxies),
  };
}

/**
 * Reads a `node:http` request's session; cookie changes are appended to `res` as they happen (with
 * `Cache-Control: no-store`), so call it before writing the response head. Rejects with
 * `CsrfRejectedError` or `StoreUnavailableError`: pass those to {@link sendSessionError}.
 *
 * @example
 * ```ts
 * http.createServer(async (req, res) => {
 *   try {
 *     const session = await sessionOfNode(sessions, req, res);
 *     res.end(session.user ? `hello ${session.user.id}` : 'hello stranger');
 *   } catch (error) {
 *     if (!sendSessionError(res, error)) throw error;
 *   }
 * });
 * ```
 */
export function sessionOfNode<U>(
  manager: SessionManager<U>,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo = requestInfoOfNode(req),
): Promise<RequestSession<U>> {
  return loadRequestSession(manager, info, (value) => {
    const current = res.getHeader('set-cookie');
    const previous = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
    res.setHeader('set-cookie', lastPerCookie([...previous, value]));
    res.setHeader('cache-control', 'no-store');
  });
}

/** Answers a Cloakroom error with its documented JSON body; `false` (nothing sent) for other errors. */
export function sendSessionError(res: ServerResponse, error: unknown): boolean {
  const known = httpErrorOf(error);
  if (known === null) return false;
  sendJsonAnswer(res, known);
  return true;
}

/**
 * The recent-sign-in check for node:http routes: the returned function gives the request's session when its
 * user proved who they are within the last `maxAgeSeconds` (default 600: ten minutes), and otherwise throws
 * `UnauthenticatedError` or `ReauthenticationRequiredError`, which {@link sendSessionError} answers (401
 * `unauthenticated` / `reauthentication_required`).
 *
 * @example
 * ```ts
 * const recent = requireRecentAuth();
 * // in the handler, inside the try that ends in sendSessionError:
 * const session = recent(await sessionOfNode(sessions, req, res));
 * ```
 */
export function requireRecentAuth(
  maxAgeSeconds: number = DEFAULT_RECENT_AUTH_SECONDS,
): <U>(request: RequestSession<U>) => Session {
  return recentAuthGuard(maxAgeSeconds);
}

export { RequestSession, type RequestInfo } from '../session/index.js';
export {
  clientAddress,
  trustedProxies,
  type ForwardedHeader,
  type TrustedProxies,
  type TrustedProxiesOptions,
} from './client-address.js';
