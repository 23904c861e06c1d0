import type { Logger } from 'pino';
import { CloakroomError, httpErrorOf } from 'cloakroom';
import { json, type Reply } from './reply.js';

/** Error codes of the JSON API, beyond the library's own (`CloakroomErrorCode`). */
export type ApiErrorCode =
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_cursor'
  | 'internal_error'
  | 'unauthenticated';

/** An HTTP-level refusal raised by the site's own routes, answered like a `CloakroomError`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly headers: Record<string, string>;

  constructor(status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const notFound = () => new ApiError(404, 'not_found', 'Nothing here.');

/** Status, code, public message and headers for any error; unknown errors become a generic 500 or 503. */
export function describeError(error: unknown): {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
} {
  if (error instanceof ApiError) {
    return { status: error.status, code: error.code, message: error.message, headers: error.headers };
  }
  const known = httpErrorOf(error);
  if (known !== null && error instanceof CloakroomError) {
    return {
      status: known.status,
      code: known.body.error.code,
      message: known.body.error.message,
      headers: known.headers,
    };
  }
  // A database failure under the site's own data (notes, users) is an outage, not a bug: 503 like the store.
  if (error instanceof Error && error.name === 'SqliteError') {
    return {
      status: 503,
      code: 'store_unavailable',
      message: 'The session store is unavailable. Try again shortly.',
      headers: {},
    };
  }
  return { status: 500, code: 'internal_error', message: 'Something went wrong on our side.', headers: {} };
}

/** The JSON error answer: `{"error":{"code","message"}}`, never a stack trace, never cached. */
export function jsonError(error: unknown): Reply {
  const { status, code, message, headers } = describeError(error);
  return json({ error: { code, message } }, status, { ...headers, 'cache-control': 'no-store' });
}

/**
 * Logs a failure the server answered with a 5xx, with its cause, for the operator (the client only gets the
 * generic message). Names and messages only: never the request's headers or body.
 */
export function logServerError(log: Logger, error: unknown, status: number): void {
  if (status < 500) return;
  log.error({ err: summarize(error) }, 'request failed');
}

function summarize(error: unknown): { name: string; message: string; cause?: unknown } | 'unknown' {
  if (!(error instanceof Error)) return 'unknown';
  const cause = error.cause === undefined ? undefined : summarize(error.cause);
  return { name: error.name, message: error.message, ...(cause === undefined ? {} : { cause }) };
}
