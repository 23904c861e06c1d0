/**
 * What a route answers: a plain value (status, content type, body, extra headers) that the router writes
 * in one `writeHead`. Handlers build one with the functions below and never touch the response object, so
 * a handler is a function from a request to a value.
 */
export interface Reply {
  readonly status: number;
  /** The `Content-Type`, or `null` for a body-less answer. */
  readonly contentType: string | null;
  readonly body: string | Buffer | null;
  /**
   * Further headers, lower-case names. A `cache-control` here replaces the default `no-store`; the security
   * headers, `X-Request-Id` and the session's `Set-Cookie` are added by the router.
   */
  readonly headers: Readonly<Record<string, string>> | undefined;
}

type Headers = Readonly<Record<string, string>> | undefined;

/** A JSON answer (`application/json`). */
export function json(value: unknown, status = 200, headers?: Headers): Reply {
  return { status, contentType: 'application/json', body: JSON.stringify(value), headers };
}

/** An HTML page (`text/html; charset=UTF-8`); `markup` is an escaped template from `pages/markup.ts`. */
export function html(markup: string | { toString(): string }, status = 200, headers?: Headers): Reply {
  return { status, contentType: 'text/html; charset=UTF-8', body: markup.toString(), headers };
}

/** A redirect; 303 by default (POST/redirect/GET). `location` is a path of this site. */
export function redirect(location: string, status: 301 | 302 | 303 | 307 | 308 = 303): Reply {
  return { status, contentType: null, body: null, headers: { location } };
}

/** 204 No Content. */
export function noContent(headers?: Headers): Reply {
  return { status: 204, contentType: null, body: null, headers };
}

/** Any other body with its content type (a stylesheet, an icon). */
export function content(body: string | Buffer, contentType: string, status = 200, headers?: Headers): Reply {
  return { status, contentType, body, headers };
}
