import { hasDuplicateMember } from './json-members.js';
import { InvalidTokenError } from './errors.js';

const SEGMENT = '[A-Za-z0-9_-]+';
const JWS_SHAPE = new RegExp(`^${SEGMENT}\\.${SEGMENT}\\.${SEGMENT}$`);
// JWE compact: five segments; the encrypted key is empty for `dir` and `ECDH-ES`.
const JWE_SHAPE = new RegExp(`^${SEGMENT}\\.[A-Za-z0-9_-]*\\.${SEGMENT}\\.${SEGMENT}\\.${SEGMENT}$`);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Checks a compact token's outer shape before anything parses it: a string of at most `maxBytes` characters, all
 * base64url, in three (JWS) or five (JWE) non-empty segments, none of a length base64url cannot have. Throws
 * `InvalidTokenError('malformed')` otherwise.
 */
export function checkCompactShape(token: unknown, maxBytes: number, kind: 'jws' | 'jwe'): string[] {
  if (typeof token !== 'string' || token.length === 0) throw malformed('the token is missing');
  if (token.length > maxBytes) throw malformed('the token is too large');
  if (!(kind === 'jws' ? JWS_SHAPE : JWE_SHAPE).test(token)) {
    throw malformed(`the token is not ${kind === 'jws' ? 'three' : 'five'} base64url segments`);
  }
  const segments = token.split('.');
  if (segments.some((segment) => segment.length % 4 === 1))
    throw malformed('a segment is not valid base64url');
  return segments;
}

/**
 * Decodes a base64url segment holding a JSON object (a header or a JWT payload) the strict way: valid UTF-8,
 * valid JSON, an object, and no member name twice. Throws `InvalidTokenError` (`malformed` or `duplicate_member`).
 */
export function decodeJsonSegment(segment: string, what: 'header' | 'payload'): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(Buffer.from(segment, 'base64url'));
    value = JSON.parse(text);
  } catch (cause) {
    throw malformed(`the ${what} is not JSON`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`the ${what} is not a JSON object`);
  }
  if (hasDuplicateMember(text)) {
    throw new InvalidTokenError('duplicate_member', `the ${what} names a member twice`);
  }
  return value as Record<string, unknown>;
}

function malformed(message: string, cause?: unknown): InvalidTokenError {
  return new InvalidTokenError('malformed', message, cause === undefined ? undefined : { cause });
}
