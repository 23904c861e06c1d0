/**
 * The reference site's HTTP layer: `node:http`, find-my-way (Fastify's router) and a few plain functions.
 * No framework sits in the hot path; see docs/decisions.md ("The site's HTTP layer") for the measurements.
 *
 * ## How to add a route
 *
 * ```ts
 * // src/app/<feature>/routes.ts
 * export function featureRoutes(router: AppRouter, services: AppServices): void {
 *   router.route(
 *     '/api/things/:id',
 *     // The cookie session, or an access token: with `things:read` for GET; DELETE takes the cookie only.
 *     { errors: 'json', auth: { cookieOrBearer: { scopes: { GET: ['things:read'] } } } },
 *     {
 *       GET: async (ctx) => {
 *         const thing = await services.things.get(ctx.session.user?.id ?? '', ctx.params.id ?? '');
 *         if (thing === null) throw notFound();
 *         return json({ thing });
 *       },
 *       DELETE: async (ctx) => { ...; return noContent(); },
 *     },
 *   );
 *   router.route('/things', { errors: 'page', auth: 'cookie' }, { GET: (ctx) => html(...) });
 * }
 * // then call featureRoutes(router, services) in createApp (src/app/app.ts).
 * ```
 *
 * - A handler takes a {@link RequestContext} and returns (or resolves to) a {@link Reply}: build it with
 *   `json`, `html`, `redirect`, `noContent` or `content` from `./reply.js`. Never write to `ctx.req`'s
 *   response: the router writes every answer in one `writeHead`, adding the security headers (HSTS too on an
 *   https origin), `Cache-Control: no-store` (unless the reply sets its own), `X-Request-Id` and the
 *   session's `Set-Cookie`.
 * - Errors: throw. A `CloakroomError` or an `ApiError` becomes its status and code; anything else is a 500
 *   (logged, never shown). `errors: 'json'` answers `{"error":{"code","message"}}` (the API); `errors: 'page'`
 *   answers the HTML error page (and a 303 to /sign-in for `unauthenticated`). An endpoint with another error
 *   format (OAuth's RFC 6749 body) catches its own errors and returns its own reply.
 * - Methods: each path lists its methods once. A GET also answers HEAD. On a `json` route any other method is
 *   405 `method_not_allowed` with `Allow`; on a `page` route it is the 404 page.
 * - Authentication: every route declares it (`auth`, see {@link RouteAuth} in `./auth.js`) and the router does
 *   it once, before the handler. `'cookie'` loads the cookie session (`ctx.session`) with the CSRF checks on
 *   unsafe methods (403 `csrf_rejected`): pages and the browser-only API. `{ cookieOrBearer: { scopes } }`
 *   (JSON routes) also takes `Authorization: Bearer <access token>`: the scopes each method needs, a method
 *   not listed answering a valid token 403 `insufficient_scope`; an invalid token is 401 on every method.
 *   `'none'` reads no credential at all (static assets, the health check, OAuth endpoints, back-channel
 *   logout): no `ctx.session`, no store read, never a `Set-Cookie`. A sign-in route calls
 *   `ctx.session.assertLoginOrigin()` before reading its body (login CSRF).
 * - Requests that match no route, and methods a route does not list, read no credential either: their 404
 *   or 405 is the same for everyone and costs no store read (a 404 page shows the signed-out layout).
 * - Bodies: every unsafe request declaring more than 64 KiB is 413 before anything else, authentication
 *   included. Read a body with `readJson(ctx, schema)` (JSON, 415 otherwise) or `readForm(ctx)` (urlencoded
 *   or multipart); both stop at 64 KiB. An endpoint that takes no body calls `refuseNonJsonBody(ctx)` (415
 *   for a non-JSON body).
 * - Paths: find-my-way syntax (`/a/:id`, case-sensitive, a trailing slash is another path, parameters are
 *   decoded and at most 100 characters, else the route does not match). Query strings never reach the logs.
 */
import { randomUUID } from 'node:crypto';
import { METHODS, type IncomingMessage, type ServerResponse } from 'node:http';
import findMyWay, { type HTTPMethod } from 'find-my-way';
import type { Logger } from 'pino';
import { EndBatch } from './end-batch.js';
import { loadRequestSession } from 'cloakroom';
import { lastPerCookie, type TrustedProxies } from 'cloakroom/http';
import type { SessionManager } from 'cloakroom/session';
import {
  emitEvent,
  isStoreFailureReported,
  markStoreFailureReported,
  type EventSink,
} from 'cloakroom/events';
import { readBearerToken } from 'cloakroom/tokens';
import { methodAuth, NO_AUTH, useBearerSession, type BearerAuthenticator, type MethodAuth } from './auth.js';
import type { RouteAuth, RouteMethod } from './auth.js';
import { refuseDeclaredOversize } from './body.js';
import { RequestContext, type StoreFailureReporter } from './context.js';
import type { AppUser } from './env.js';
import { ApiError, describeError, jsonError, logServerError, notFound } from './errors.js';
import type { Reply } from './reply.js';

/** A route's handler: a request in, a reply out. */
export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

/** The methods a route answers (`M`), each with its handler. */
export type MethodHandlers<M extends RouteMethod = RouteMethod> = Record<M, Handler>;

/**
 * A route's declaration besides its handlers: how it answers errors (the API's JSON body, or the HTML error
 * page) and how it authenticates (see {@link RouteAuth}; a bearer token only on JSON routes, whose refusals
 * are RFC 6750 JSON bodies).
 */
export type RouteOptions<M extends RouteMethod = RouteMethod> =
  { errors: 'json'; auth: RouteAuth<M> } | { errors: 'page'; auth: 'none' | 'cookie' };

/** Answers errors on pages: the HTML error page (see pages/error-page.ts). */
export type ErrorPage = (ctx: RequestContext, error: unknown) => Reply;

export interface AppRouterOptions {
  sessions: SessionManager<AppUser>;
  log: Logger;
  errorPage: ErrorPage;
  /** Verifies the API's access tokens; required once a route declares `cookieOrBearer`. */
  bearer?: BearerAuthenticator;
  /**
   * The site's public origin. When it is https, every answer carries `Strict-Transport-Security`; an http
   * origin (only ever loopback, see config.ts) never does, or `localhost` would be pinned to https for a
   * year in the developer's browser.
   */
  origin?: string;
  /** The reverse proxies whose `X-Forwarded-For` gives the client address (`CLOAKROOM_TRUSTED_PROXIES`). */
  trustedProxies?: TrustedProxies;
  /**
   * Told of every answered request with the route's pattern (`/api/notes/:id`; `(unmatched)` for a path that
   * matched nothing), never the raw path: the site's HTTP metrics.
   */
  observe?: RequestObserver;
  /**
   * Where the `store.unavailable` security event goes when a request is answered 503 `store_unavailable`
   * (a store failure past session validation: a sign-out, a registration, a password change…). Failures the
   * library reported already (validation, a password sign-in) are not reported twice.
   */
  onEvent?: EventSink;
}

/** See {@link AppRouterOptions.observe}. */
export type RequestObserver = (method: string, route: string, status: number, seconds: number) => void;

/** The route label of a request that matched no route. */
export const UNMATCHED_ROUTE = '(unmatched)';

interface Route {
  path: string;
  handler: Handler;
  errors: 'json' | 'page';
  auth: MethodAuth;
}

/** Security headers on every answer, as name/value pairs ready for `writeHead`. */
const SECURITY_HEADERS: readonly string[] = [
  // A CSP with same-origin script files only (the passkey script; never inline), requests to this site only,
  // no framing, forms only to this site.
  'content-security-policy',
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options',
  'nosniff',
  // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` even on same-origin
  // form posts, which the CSRF checks refuse. Other sites still get no referrer.
  'referrer-policy',
  'same-origin',
  'x-frame-options',
  'DENY',
  'cross-origin-opener-policy',
  'same-origin',
];

/**
 * HSTS for an https origin: a year, subdomains included (issue 15, finding 5). No `preload`: that is a
 * commitment for the operator's whole domain, not the site's to make.
 */
const HSTS_HEADER: readonly string[] = ['strict-transport-security', 'max-age=31536000; includeSubDomains'];

const isApiPath = (path: string) => path === '/api' || path.startsWith('/api/');
const isSafeMethod = (method: string) => method === 'GET' || method === 'HEAD';

/** The site's routes and the `node:http` request listener that serves them. */
export class AppRouter {
  readonly #router = findMyWay({ maxParamLength: 100 });
  readonly #sessions: SessionManager<AppUser>;
  readonly #log: Logger;
  readonly #errorPage: ErrorPage;
  readonly #bearer: BearerAuthenticator | undefined;
  readonly #ends = new EndBatch();
  readonly #securityHeaders: readonly string[];
  readonly #trustedProxies: TrustedProxies | undefined;
  readonly #observe: RequestObserver | undefined;
  readonly #onEvent: EventSink | undefined;
  readonly #reportStoreFailure: StoreFailureReporter;

  constructor(options: AppRouterOptions) {
    this.#securityHeaders = options.origin?.startsWith('https:')
      ? [...SECURITY_HEADERS, ...HSTS_HEADER]
      : SECURITY_HEADERS;
    this.#trustedProxies = options.trustedProxies;
    this.#sessions = options.sessions;
    this.#log = options.log;
    this.#errorPage = options.errorPage;
    this.#bearer = options.bearer;
    this.#observe = options.observe;
    this.#onEvent = options.onEvent;
    this.#reportStoreFailure = (ctx, error) => {
      this.#storeFailure(ctx, error);
    };
  }

  /**
   * Registers `path` with its methods (see the module comment). The methods are the keys of `handlers`; a
   * `cookieOrBearer` declaration can give scopes only to those.
   */
  route<M extends RouteMethod>(
    path: string,
    options: RouteOptions<NoInfer<M>>,
    handlers: MethodHandlers<M>,
  ): void {
    const methods = Object.keys(handlers) as M[];
    const on = (method: string, handler: Handler, auth: MethodAuth) => {
      const route: Route = { path, errors: options.errors, auth, handler };
      this.#router.on(method as HTTPMethod, path, noopHandler, route);
    };
    for (const method of methods) {
      const handler = handlers[method];
      const auth = methodAuth(options.auth, method, this.#bearer);
      on(method, handler, auth);
      // HEAD is GET without the body (node:http drops it), as HTTP requires of every GET resource.
      if (method === 'GET') on('HEAD', handler, auth);
    }
    if (options.errors !== 'json') return;
    const allowed = (methods.includes('GET' as M) ? [...methods, 'HEAD'] : methods).join(', ');
    const refuse: Handler = () => {
      throw new ApiError(405, 'method_not_allowed', `Use ${allowed}.`, { allow: allowed });
    };
    for (const method of METHODS) {
      if (!(methods as string[]).includes(method) && !(method === 'HEAD' && methods.includes('GET' as M))) {
        // A method the route does not have reads no credential: its 405 is the same for everyone.
        on(method, refuse, NO_AUTH);
      }
    }
  }

  /** The `node:http` request listener. */
  listener(): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      void this.#serve(req, res);
    };
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const ctx = new RequestContext(
      req,
      this.#log,
      randomUUID(),
      this.#trustedProxies,
      this.#reportStoreFailure,
    );
    const found = this.#router.find(ctx.method as HTTPMethod, req.url ?? '/');
    const route = (found?.store ?? null) as Route | null;
    const errors = route?.errors ?? (isApiPath(ctx.path) ? 'json' : 'page');
    let reply: Reply;
    try {
      // Free to check, so before anything that reads the store.
      if (!isSafeMethod(ctx.method)) refuseDeclaredOversize(req);
      // A path that matches nothing reads no credential: its 404 costs no store read and sets no cookie.
      if (route === null || found === null) throw notFound();
      ctx.params = found.params;
      ctx.route = route.path;
      const { auth } = route;
      let refused: Reply | null = null;
      if (auth.kind === 'cookieOrBearer' && readBearerToken(ctx.header('authorization')) !== null) {
        refused = await useBearerSession(ctx, this.#sessions, auth);
      } else if (auth.kind !== 'none') {
        // Inline rather than in an async method of its own: this is the path of every browser request.
        ctx.useSession(await loadRequestSession(this.#sessions, ctx.requestInfo(), ctx.setCookieSink));
      }
      reply = refused ?? (await route.handler(ctx));
    } catch (error) {
      reply = this.#errorReply(ctx, errors, error);
    }
    try {
      writeReply(res, ctx, reply, this.#securityHeaders, this.#ends);
    } catch (error) {
      // A reply that cannot be written (an invalid header value): a plain 500, and the cause in the log.
      logServerError(ctx.log, error, 500);
      if (!res.headersSent)
        writeReply(res, ctx, jsonError(new Error('unwritable reply')), this.#securityHeaders, this.#ends);
      else res.destroy();
    }
    this.#observe?.(
      ctx.method,
      route?.path ?? UNMATCHED_ROUTE,
      res.statusCode,
      (performance.now() - started) / 1000,
    );
    if (this.#log.isLevelEnabled('info')) {
      ctx.log.info(
        {
          method: ctx.method,
          path: ctx.path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  }

  #errorReply(ctx: RequestContext, errors: 'json' | 'page', error: unknown): Reply {
    let reply: Reply;
    try {
      reply = errors === 'json' ? jsonError(error) : this.#errorPage(ctx, error);
    } catch (pageError) {
      logServerError(ctx.log, pageError, 500);
      reply = jsonError(pageError);
    }
    logServerError(ctx.log, error, reply.status);
    if (reply.status === 503) this.#storeFailure(ctx, error);
    return reply;
  }

  /**
   * The `store.unavailable` event of a request answered 503 because a store failed, once per failure: the
   * operation is the route's method and pattern (`POST /api/auth/logout`), never the path as sent.
   */
  #storeFailure(ctx: RequestContext, error: unknown): void {
    const onEvent = this.#onEvent;
    if (onEvent === undefined || isStoreFailureReported(error)) return;
    if (describeError(error).code !== 'store_unavailable') return;
    markStoreFailureReported(error);
    const session = ctx.loadedSession?.session ?? null;
    const info = ctx.requestInfo();
    emitEvent(onEvent, {
      type: 'store.unavailable',
      at: this.#sessions.config.clock.now(),
      operation: `${ctx.method} ${ctx.route ?? UNMATCHED_ROUTE}`,
      ...(session === null ? {} : { userId: session.userId, sessionId: session.id }),
      ip: info.ip,
      userAgent: info.userAgent,
    });
  }
}

// find-my-way requires a handler per route; the router only uses `find`, so routes live in the store.
const noopHandler = () => undefined;

/**
 * Writes a reply in one `writeHead`: the security headers (`securityHeaders`), `Cache-Control` (`no-store` unless the reply
 * sets one), `X-Request-Id`, the reply's own headers and the last `Set-Cookie` per cookie name. The body
 * follows with the other answers of this turn of the event loop (see {@link EndBatch}).
 */
function writeReply(
  res: ServerResponse,
  ctx: RequestContext,
  reply: Reply,
  securityHeaders: readonly string[],
  ends: EndBatch,
): void {
  const headers = [...securityHeaders, 'x-request-id', ctx.requestId];
  const { body, contentType } = reply;
  if (contentType !== null) headers.push('content-type', contentType);
  if (body !== null) {
    headers.push('content-length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.length));
  } else if (reply.status !== 204 && reply.status !== 304) {
    headers.push('content-length', '0');
  }
  let cacheControl = 'no-store';
  if (reply.headers !== undefined) {
    for (const [name, value] of Object.entries(reply.headers)) {
      if (name === 'cache-control') cacheControl = value;
      else headers.push(name, value);
    }
  }
  headers.push('cache-control', cacheControl);
  if (ctx.setCookies.length > 0) {
    for (const value of lastPerCookie(ctx.setCookies)) headers.push('set-cookie', value);
  }
  res.writeHead(reply.status, headers);
  ends.end(res, body ?? undefined);
}
