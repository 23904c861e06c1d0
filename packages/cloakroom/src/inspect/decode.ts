import { decodeJwt, decodeProtectedHeader } from 'jose';
import { InspectError } from './errors.js';
import type { ExtractedToken } from './extract.js';
import type { JsonObject } from './types.js';

/** The encoded size, in bytes, of each dot-separated part of a token as it travels. */
export interface PartSize {
  name: string;
  bytes: number;
}

/** A token decoded without any trust: what its header and claims say, not what is true. */
export interface DecodedToken {
  header: JsonObject | null;
  /** The claims of a JWS; `null` for a JWE (encrypted) and a Cloakroom session (opaque). */
  claims: JsonObject | null;
  parts: PartSize[];
  /** The whole token's bytes, dots included. */
  bytes: number;
}

const JWS_PARTS = ['header', 'payload', 'signature'];
const JWE_PARTS = ['header', 'encrypted key', 'iv', 'ciphertext', 'tag'];
const SESSION_PARTS = ['id', 'secret', 'mac'];

/**
 * Decodes a found token with jose's `decodeProtectedHeader` and `decodeJwt`, which check the shape and
 * never the signature. Throws {@link InspectError} `malformed_token` when the parts do not decode; the
 * message names the part, never its content.
 */
export function decodeToken(found: ExtractedToken): DecodedToken {
  const segments = found.token.split('.');
  const names = found.kind === 'jws' ? JWS_PARTS : found.kind === 'jwe' ? JWE_PARTS : SESSION_PARTS;
  const parts = segments.map((segment, index) => ({
    name: names[index] ?? `part ${index + 1}`,
    bytes: Buffer.byteLength(segment),
  }));
  const bytes = Buffer.byteLength(found.token);
  if (found.kind === 'session') return { header: null, claims: null, parts, bytes };
  let header: JsonObject;
  try {
    header = decodeProtectedHeader(found.token);
  } catch (cause) {
    throw new InspectError('malformed_token', 'the header is not base64url-encoded JSON', { cause });
  }
  if (depthOf(header) > MAX_DEPTH) {
    throw new InspectError('malformed_token', `the header nests deeper than ${MAX_DEPTH} levels`);
  }
  if (found.kind === 'jwe') return { header, claims: null, parts, bytes };
  let claims: JsonObject;
  try {
    claims = decodeJwt(found.token);
  } catch (cause) {
    throw new InspectError(
      'malformed_token',
      'the payload is not a JSON object (a JWS that is not a JWT, or a damaged token)',
      { cause },
    );
  }
  if (depthOf(claims) > MAX_DEPTH) {
    throw new InspectError('malformed_token', `the claims nest deeper than ${MAX_DEPTH} levels`);
  }
  return { header, claims, parts, bytes };
}

/** Nesting past this cannot be printed (JSON.stringify recurses) and no real token comes near it. */
const MAX_DEPTH = 64;

// Iterative, so a hostile payload of 100,000 nested arrays cannot overflow the stack here.
function depthOf(root: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [value, depth] = item;
    if (value === null || typeof value !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}
