import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { RequestInfo, RequestSession } from 'cloakroom';
import { clientAddress, type TrustedProxies } from 'cloakroom/http';
import type { AppUser } from './env.js';

/** Told of a store failure a request answers with 503 (see {@link RequestContext.reportStoreFailure}). */
export type StoreFailureReporter = (ctx: RequestContext, error: unknown) => void;

const NO_PARAMS: Readonly<Record<string, string | undefined>> = Object.freeze({});

/**
 * One request as the site's routes see it: method, path, headers, route parameters, the query string, a
 * request id and a logger, and the session once the router has loaded it. Responses are not written here:
 * handlers return a {@link Reply}.
 */
export class RequestContext {
  readonly req: IncomingMessage;
  /** The request method as sent (`HEAD` stays `HEAD`; the router serves it with the GET handler). */
  readonly method: string;
  /** The path without the query string, as sent (not decoded). */
  readonly path: string;
  /** A random id for this request, echoed in `X-Request-Id` and in every log line about it. */
  readonly requestId: string;
  /** The matched route's parameters (`:id`), decoded. */
  params: Readonly<Record<string, string | undefined>> = NO_PARAMS;
  /** Every `Set-Cookie` the request's session produced, in order (the router keeps the last per name). */
  readonly setCookies: string[] = [];
  /** Appends to {@link setCookies}: the sink `loadRequestSession` hands each `Set-Cookie` to. */
  readonly setCookieSink = (value: string): void => {
    this.setCookies.push(value);
  };
  /** The matched route's pattern (`/api/notes/:id`), once the router found one; `null` before or without. */
  route: string | null = null;
  readonly #rootLog: Logger;
  readonly #trustedProxies: TrustedProxies | undefined;
  readonly #onStoreFailure: StoreFailureReporter | undefined;
  #ip: string | null | undefined;
  #log: Logger | undefined;
  #session: RequestSession<AppUser> | undefined;
  #query: URLSearchParams | undefined;

  constructor(
    req: IncomingMessage,
    log: Logger,
    requestId: string,
    trustedProxies?: TrustedProxies,
    onStoreFailure?: StoreFailureReporter,
  ) {
    this.#trustedProxies = trustedProxies;
    this.#onStoreFailure = onStoreFailure;
    this.req = req;
    this.method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    this.requestId = requestId;
    this.#rootLog = log;
  }

  /** A logger bound to the request id, made on first use (a pino child costs even when nothing logs). */
  get log(): Logger {
    this.#log ??= this.#rootLog.isLevelEnabled('error')
      ? this.#rootLog.child({ requestId: this.requestId })
      : this.#rootLog;
    return this.#log;
  }

  /** A request header (lower-case name), or `undefined`. Node joins repeated headers (cookies with `; `). */
  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** A query-string parameter (the first one of that name), or `undefined`. */
  query(name: string): string | undefined {
    if (this.#query === undefined) {
      const url = this.req.url ?? '';
      const q = url.indexOf('?');
      this.#query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    }
    return this.#query.get(name) ?? undefined;
  }

  /**
   * The client's address: the socket's peer, or, when the peer is one of `CLOAKROOM_TRUSTED_PROXIES`, the
   * right-most `X-Forwarded-For` hop that is not a trusted proxy (see docs/app.md).
   */
  get ip(): string | null {
    if (this.#ip === undefined) {
      const peer = this.req.socket.remoteAddress ?? null;
      this.#ip =
        this.#trustedProxies === undefined
          ? peer
          : clientAddress(peer, (name) => this.header(name), this.#trustedProxies);
    }
    return this.#ip;
  }

  /** The request's session headers and address, as the session layer reads them. */
  requestInfo(): RequestInfo {
    const { headers } = this.req;
    return {
      method: this.method,
      cookie: headers.cookie ?? null,
      origin: headers.origin ?? null,
      secFetchSite: this.header('sec-fetch-site') ?? null,
      userAgent: headers['user-agent'] ?? null,
      ip: this.ip,
      authorization: headers.authorization ?? null,
    };
  }

  /**
   * The request's session. Routes registered with `auth: 'none'` have none, and asking for it there is
   * a programming error (`TypeError`).
   */
  get session(): RequestSession<AppUser> {
    if (this.#session === undefined) throw new TypeError('this route does not load the session');
    return this.#session;
  }

  /** The session if it was loaded, else `undefined` (an error before or without the session step). */
  get loadedSession(): RequestSession<AppUser> | undefined {
    return this.#session;
  }

  /**
   * Reports a store failure this request answers with 503 (the `store.unavailable` security event). The
   * router does it for every error it answers; an endpoint that answers its own errors (the OAuth endpoints)
   * calls it. A failure the library reported already is not reported again.
   */
  reportStoreFailure(error: unknown): void {
    this.#onStoreFailure?.(this, error);
  }

  /** Set by the router once the session is loaded. */
  useSession(session: RequestSession<AppUser>): void {
    this.#session = session;
  }
}
