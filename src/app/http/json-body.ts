import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { InvalidRequestError } from '../../errors.js';
import { ApiError } from './errors.js';
import type { AppEnv } from './env.js';

/** The largest JSON body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

export const payloadTooLarge = () =>
  new ApiError(413, 'payload_too_large', `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);

const limitReading = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw payloadTooLarge();
  },
});

/**
 * 413 past 64 KiB, checked while the body is read. GET and HEAD requests carry no body here, and wrapping
 * their (absent) body made the node adapter build a full `Request` on every read: skip them.
 */
export const limitBody: MiddlewareHandler<AppEnv> = (c, next) =>
  c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitReading(c, next);

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/** Whether the request declares a body: a non-zero Content-Length or chunked transfer. */
export function hasBody(c: Context<AppEnv>): boolean {
  const length = c.req.header('content-length');
  return (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
}

/** Refuses a request that carries a body which is not JSON (415), for endpoints that take none. */
export function refuseNonJsonBody(c: Context<AppEnv>): void {
  if (hasBody(c) && !isJson(c.req.header('content-type'))) throw unsupportedMediaType();
}

const unsupportedMediaType = () =>
  new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');

/**
 * Reads and validates a JSON body: 415 unless `Content-Type: application/json`, 413 past 64 KiB (the size is
 * enforced by the body-limit middleware while reading), 400 `invalid_request` for malformed JSON or a shape
 * the schema refuses. The message names fields, never echoes values.
 */
export async function readJson<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  if (!isJson(c.req.header('content-type'))) throw unsupportedMediaType();
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw payloadTooLarge();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequestError('The body is not valid JSON.');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'body'))];
    throw new InvalidRequestError(`Invalid or missing fields: ${fields.join(', ')}.`, fields[0] ?? null);
  }
  return parsed.data;
}
