import type { z } from 'zod';
import { InvalidRequestError } from 'cloakroom';
import { declaresBody, readBody } from './body.js';
import type { RequestContext } from './context.js';
import { ApiError } from './errors.js';

export { MAX_BODY_BYTES, payloadTooLarge } from './body.js';

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return type === 'application/json';
}

const unsupportedMediaType = () =>
  new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');

/** Refuses a request that carries a body which is not JSON (415), for endpoints that take none. */
export function refuseNonJsonBody(ctx: RequestContext): void {
  if (declaresBody(ctx.req) && !isJson(ctx.req.headers['content-type'])) throw unsupportedMediaType();
}

/**
 * Reads and validates a JSON body: 415 unless `Content-Type: application/json`, 413 past 64 KiB (checked
 * while reading), 400 `invalid_request` for malformed JSON or a shape the schema refuses. The message
 * names fields, never echoes values.
 */
export async function readJson<S extends z.ZodType>(ctx: RequestContext, schema: S): Promise<z.output<S>> {
  if (!isJson(ctx.req.headers['content-type'])) throw unsupportedMediaType();
  const text = (await readBody(ctx.req)).toString('utf8');
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
