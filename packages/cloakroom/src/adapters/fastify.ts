import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { httpErrorOf } from '../errors.js';
import type { SessionUser } from '../stores/index.js';
import {
  DEFAULT_RECENT_AUTH_SECONDS,
  loadRequestSession,
  recentAuthGuard,
  type RequestSession,
  type SessionManager,
} from '../session/index.js';
import { clientAddress, type TrustedProxies } from './client-address.js';
import { lastPerCookie } from './set-cookie.js';
import { requestInfoOfNode } from './node.js';

/**
 * The types `cloakroom/fastify` puts on Fastify's request. Augment it to type the user your store returns:
 *
 * ```ts
 * declare module 'cloakroom/fastify' {
 *   interface FastifySessionTypes { user: { id: string; name: string } }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface for declaration merging
export interface FastifySessionTypes {}

/** The user type of `request.cloakroom.user`: `FastifySessionTypes['user']` when augmented, else `{ id }`. */
export type FastifySessionUser = FastifySessionTypes extends { user: infer U } ? U : SessionUser;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session, read by the `cloakroom` plugin's `onRequest` hook. */
    cloakroom: RequestSession<FastifySessionUser>;
  }
}

/** Options of the {@link cloakroom} plugin. */
export interface FastifySessionOptions<U> {
  /** The session manager (see `createSessionManager`). */
  sessions: SessionManager<U>;
  /**
   * The reverse proxies in front of the server (see {@link trustedProxies}). When given, Cloakroom's own rule
   * picks the client address from the socket's peer and the forwarded headers; when left out, the address is
   * `request.ip`, so Fastify's `trustProxy` setting decides it.
   */
  trustedProxies?: TrustedProxies;
  /**
   * Install an error handler that answers Cloakroom's errors (thrown by the hook or in a route) with their
   * documented JSON body and status (403 `csrf_rejected`, 503 `store_unavailable`, …) and hands every other
   * error on to Fastify's default handler. Default `true`. Set `false` when the application has its own
   * error handler, and call {@link sendSessionError} from it.
   */
  errorHandler?: boolean;
}

/** The `Set-Cookie` values each request's session produced, written once in `onSend`. */
const pending = new WeakMap<FastifyRequest, string[]>();

/**
 * Answers a Cloakroom error on `reply` with its documented JSON body and status, never cacheable; `false`
 * (nothing sent) for any other error. For applications that keep their own Fastify error handler.
 *
 * @example
 * ```ts
 * app.setErrorHandler((error, request, reply) => {
 *   if (sendSessionError(reply, error)) return reply;
 *   request.log.error(error);
 *   return reply.code(500).send({ error: { code: 'internal', message: 'Something went wrong.' } });
 * });
 * ```
 */
export function sendSessionError(reply: FastifyReply, error: unknown): boolean {
  const known = httpErrorOf(error);
  if (known === null) return false;
  void reply
    .code(known.status)
    .headers({ ...known.headers, 'cache-control': 'no-store' })
    .type('application/json; charset=utf-8')
    .send(known.body);
  return true;
}

// eslint-disable-next-line @typescript-eslint/require-await -- Fastify runs plugins that return a promise
async function register<U>(app: FastifyInstance, options: FastifySessionOptions<U>): Promise<void> {
  const { sessions, trustedProxies } = options;
  const given: unknown = sessions;
  if (typeof given !== 'object' || given === null || !('validate' in given))
    throw new TypeError('cloakroom/fastify: options.sessions must be a session manager');
  app.decorateRequest('cloakroom', null as unknown as RequestSession<FastifySessionUser>);

  app.addHook('onRequest', async (request) => {
    const { raw } = request;
    const info =
      trustedProxies === undefined
        ? { ...requestInfoOfNode(raw), ip: request.ip }
        : {
            ...requestInfoOfNode(raw),
            ip: clientAddress(
              raw.socket.remoteAddress ?? null,
              (name) => {
                const value = raw.headers[name];
                return Array.isArray(value) ? value.join(', ') : (value ?? null);
              },
              trustedProxies,
            ),
          };
    const setCookies: string[] = [];
    pending.set(request, setCookies);
    const session = await loadRequestSession(sessions, info, (value) => setCookies.push(value));
    request.cloakroom = session as unknown as RequestSession<FastifySessionUser>;
  });

  // One Set-Cookie per cookie name, written once, whatever the route did in between (signing in over a
  // stale cookie clears it, then sets the new one: only the new one goes out). Header values set by
  // @fastify/cookie or the route are kept: Fastify appends `set-cookie`.
  app.addHook('onSend', async (request, reply) => {
    const setCookies = pending.get(request);
    if (setCookies === undefined || setCookies.length === 0) return;
    pending.delete(request);
    reply.header('set-cookie', lastPerCookie(setCookies));
    reply.header('cache-control', 'no-store');
  });

  if (options.errorHandler !== false) {
    app.setErrorHandler((error, _request, reply) => {
      // Not a Cloakroom error: rethrown, it reaches Fastify's default handler (its status, its log line).
      if (!sendSessionError(reply, error)) throw error;
      return reply;
    });
  }
}

/**
 * The Fastify 5 plugin (wrapped with `fastify-plugin`, so it applies to the whole application): an
 * `onRequest` hook reads every request's session into `request.cloakroom`, applying the cross-site request
 * checks first; cookie changes are written once per response in `onSend`; Cloakroom's errors are answered
 * through Fastify's error handling with their stable codes (see {@link FastifySessionOptions.errorHandler}).
 * It reads the `Cookie` header itself, so it works with or without `@fastify/cookie`.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(cloakroom, { sessions });
 * app.get('/me', async (request, reply) => {
 *   const { user } = request.cloakroom;
 *   if (user === null) return reply.code(401).send({ error: { code: 'unauthenticated', message: 'Sign in.' } });
 *   return { user };
 * });
 * ```
 */
export const cloakroom: FastifyPluginAsync<FastifySessionOptions<unknown>> = fastifyPlugin(
  (app: FastifyInstance, options: FastifySessionOptions<unknown>) => register(app, options),
  { fastify: '5.x', name: 'cloakroom' },
);

/** The request's session, typed for a user type `U` of your choosing (the same as `request.cloakroom`). */
export function sessionOf<U = FastifySessionUser>(request: FastifyRequest): RequestSession<U> {
  const session = request.cloakroom as RequestSession<FastifySessionUser> | null;
  if (session === null) throw new TypeError('the cloakroom plugin did not run for this request');
  return session as RequestSession<unknown> as RequestSession<U>;
}

/**
 * A `preHandler` hook that lets the request through only when its user proved who they are within the last
 * `maxAgeSeconds` (default 600: ten minutes); otherwise it answers 401 `unauthenticated` (no session) or 401
 * `reauthentication_required` itself, whatever the application's error handler.
 *
 * @example
 * ```ts
 * app.post('/account/password', { preHandler: requireRecentAuth() }, async (request) => { … });
 * ```
 */
export function requireRecentAuth(
  maxAgeSeconds: number = DEFAULT_RECENT_AUTH_SECONDS,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const guard = recentAuthGuard(maxAgeSeconds);
  return (request, reply) => {
    try {
      guard(sessionOf(request));
    } catch (error) {
      if (!sendSessionError(reply, error)) {
        return Promise.reject(error instanceof Error ? error : new TypeError('requireRecentAuth failed'));
      }
    }
    return Promise.resolve();
  };
}

export { trustedProxies, type TrustedProxies } from './client-address.js';
