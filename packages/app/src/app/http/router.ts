/**
 * The reference site's HTTP layer: `node:http`, find-my-way (Fastify's router) and a few plain functions.
 * No framework sits in the hot path; see docs/decisions.md ("The site's HTTP layer") for the measurements.
 *
 * ## How to add a route
 *
 * ```ts
 * // src/app/<feature>/routes.ts
 * export function featureRoutes(router: AppRouter, services: AppServices): void {
 *   router.route('/api/things/:id', { errors: 'json' }, {
 *     GET: async (ctx) => {
 *       const thing = await services.things.get(ctx.params.id ?? '');
 *       if (thing === null) throw notFound();
 *       return json({ thing });
 *     },
 *     DELETE: async (ctx) => { ...; return noContent(); },
 *   });
 * }
 * // then call featureRoutes(router, services) in createApp (src/app/app.ts).
 * ```
 *
 * - A handler takes a {@link RequestContext} and returns (or resolves to) a {@link Reply}: build it with
 *   `json`, `html`, `redirect`, `noContent` or `content` from `./reply.js`. Never write to `ctx.req`'s
 *   response: the router writes every answer in one `writeHead`, adding the security headers,
 *   `Cache-Control: no-store` (unless the reply sets its own), `X-Request-Id` and the session's `Set-Cookie`.
 * - Errors: throw. A `CloakroomError` or an `ApiError` becomes its status and code; anything else is a 500
 *   (logged, never shown). `errors: 'json'` answers `{"error":{"code","message"}}` (the API); `errors: 'page'`
 *   answers the HTML error page (and a 303 to /sign-in for `unauthenticated`). An endpoint with another error
 *   format (OAuth's RFC 6749 body) catches its own errors and returns its own reply.
 * - Methods: each path lists its methods once. A GET also answers HEAD. On a `json` route any other method is
 *   405 `method_not_allowed` with `Allow`; on a `page` route it is the 404 page.
 * - The session: by default the router loads the cookie session before the handler (`ctx.session`), which
 *   applies the CSRF checks to unsafe methods (403 `csrf_rejected`). `session: false` skips it (static assets,
 *   health checks, endpoints that authenticate otherwise, e.g. with a bearer token or client credentials).
 * - Bodies: every unsafe request declaring more than 64 KiB is 413 before the handler runs. Read a body with
 *   `readJson(ctx, schema)` (JSON, 415 otherwise) or `readForm(ctx)` (urlencoded or multipart); both stop at
 *   64 KiB. An endpoint that takes no body calls `refuseNonJsonBody(ctx)` (415 for a non-JSON body).
 * - Paths: find-my-way syntax (`/a/:id`, case-sensitive, a trailing slash is another path, parameters are
 *   decoded and at most 100 characters, else the route does not match). Query strings never reach the logs.
 */
import { randomUUID } from 'node:crypto';
import { METHODS, type IncomingMessage, type ServerResponse } from 'node:http';
import findMyWay, { type HTTPMethod } from 'find-my-way';
import type { Logger } from 'pino';
import { EndBatch } from './end-batch.js';
import { loadRequestSession } from 'cloakroom';
import { lastPerCookie } from 'cloakroom/http';
import type { SessionManager } from 'cloakroom/session';
import { readBearerToken } from 'cloakroom/tokens';
import { refuseDeclaredOversize } from './body.js';
import { RequestContext } from './context.js';
import type { AppUser } from './env.js';
import { ApiError, jsonError, logServerError, notFound } from './errors.js';
import type { Reply } from './reply.js';

/** A route's handler: a request in, a reply out. */
export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

/** The methods a route answers, each with its handler. */
export type MethodHandlers = Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', Handler>>;

export interface RouteOptions {
  /** How errors are answered: the API's JSON body, or the HTML error page. */
  errors: 'json' | 'page';
  /** Load the cookie session (with its CSRF checks) before the handler. Default `true`. */
  session?: boolean;
}

/** Answers errors on pages: the HTML error page (see pages/error-page.ts). */
export type ErrorPage = (ctx: RequestContext, error: unknown) => Reply;

export interface AppRouterOptions {
  sessions: SessionManager<AppUser>;
  log: Logger;
  errorPage: ErrorPage;
}

interface Route {
  handler: Handler;
  errors: 'json' | 'page';
  session: boolean;
}

/** Security headers on every answer, as name/value pairs ready for `writeHead`. */
const SECURITY_HEADERS: readonly string[] = [
  // A CSP with no script at all, no framing, forms only to this site.
  'content-security-policy',
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
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

const isApiPath = (path: string) => path === '/api' || path.startsWith('/api/');
const isSafeMethod = (method: string) => method === 'GET' || method === 'HEAD';

/** The site's routes and the `node:http` request listener that serves them. */
export class AppRouter {
  readonly #router = findMyWay({ maxParamLength: 100 });
  readonly #sessions: SessionManager<AppUser>;
  readonly #log: Logger;
  readonly #errorPage: ErrorPage;
  readonly #ends = new EndBatch();

  constructor(options: AppRouterOptions) {
    this.#sessions = options.sessions;
    this.#log = options.log;
    this.#errorPage = options.errorPage;
  }

  /** Registers `path` with its methods (see the module comment). */
  route(path: string, options: RouteOptions, handlers: MethodHandlers): void {
    const methods = Object.keys(handlers) as (keyof MethodHandlers)[];
    const base = { errors: options.errors, session: options.session ?? true };
    const on = (method: string, handler: Handler) => {
      this.#router.on(method as HTTPMethod, path, noopHandler, { ...base, handler } satisfies Route);
    };
    for (const method of methods) {
      const handler = handlers[method];
      if (handler === undefined) continue;
      on(method, handler);
      // HEAD is GET without the body (node:http drops it), as HTTP requires of every GET resource.
      if (method === 'GET') on('HEAD', handler);
    }
    if (options.errors !== 'json') return;
    const allowed = (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
    const refuse: Handler = () => {
      throw new ApiError(405, 'method_not_allowed', `Use ${allowed}.`, { allow: allowed });
    };
    for (const method of METHODS) {
      if (!(methods as string[]).includes(method) && !(method === 'HEAD' && methods.includes('GET'))) {
        on(method, refuse);
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
    const ctx = new RequestContext(req, this.#log, randomUUID());
    const found = this.#router.find(ctx.method as HTTPMethod, req.url ?? '/');
    const route = (found?.store ?? null) as Route | null;
    const errors = route?.errors ?? (isApiPath(ctx.path) ? 'json' : 'page');
    let reply: Reply;
    try {
      // A request with a bearer token never reads (or clears) the cookie, even on a path that matches nothing.
      if (route === null ? readBearerToken(req.headers.authorization) === null : route.session) {
        ctx.useSession(await loadRequestSession(this.#sessions, ctx.requestInfo(), ctx.setCookieSink));
      }
      if (!isSafeMethod(ctx.method)) refuseDeclaredOversize(req);
      if (route === null || found === null) throw notFound();
      ctx.params = found.params;
      reply = await route.handler(ctx);
    } catch (error) {
      reply = this.#errorReply(ctx, errors, error);
    }
    try {
      writeReply(res, ctx, reply, this.#ends);
    } catch (error) {
      // A reply that cannot be written (an invalid header value): a plain 500, and the cause in the log.
      logServerError(ctx.log, error, 500);
      if (!res.headersSent) writeReply(res, ctx, jsonError(new Error('unwritable reply')), this.#ends);
      else res.destroy();
    }
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
    return reply;
  }
}

// find-my-way requires a handler per route; the router only uses `find`, so routes live in the store.
const noopHandler = () => undefined;

/**
 * Writes a reply in one `writeHead`: the security headers, `Cache-Control` (`no-store` unless the reply
 * sets one), `X-Request-Id`, the reply's own headers and the last `Set-Cookie` per cookie name. The body
 * follows with the other answers of this turn of the event loop (see {@link EndBatch}).
 */
function writeReply(res: ServerResponse, ctx: RequestContext, reply: Reply, ends: EndBatch): void {
  const headers = [...SECURITY_HEADERS, 'x-request-id', ctx.requestId];
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
