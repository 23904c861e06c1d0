import { parseToken } from '../session/index.js';
import { InspectError } from './errors.js';
import type { TokenKind, TokenSource } from './types.js';

/** The token found in an input, before any decoding. */
export interface ExtractedToken {
  kind: TokenKind;
  /** The token text exactly as it travels (a compact JWS/JWE, or a Cloakroom cookie value). */
  token: string;
  source: TokenSource;
  /** The cookie that carried the token, when it came in a Cookie header or a `name=value` pair. */
  cookieName: string | null;
  /**
   * Bytes of that cookie's value. Larger than the token when the token is wrapped, e.g. a JWT inside a
   * signed cookie (`s:<jwt>.<mac>`): that is the JWT's signature plus a second one.
   */
  cookieValueBytes: number | null;
  /** Names of other cookies in the same header that also hold a JWT or JWE (only the first is inspected). */
  otherTokenCookies: string[];
}

export interface ExtractOptions {
  /** Inspect this cookie of a Cookie header rather than the first one holding a token. */
  cookieName?: string;
}

/** Inputs past this size are refused unread: no real header or token comes near it. */
export const MAX_INPUT_BYTES = 1024 * 1024;

const HEADER_PREFIX = /^(?:set-cookie|cookie|authorization)\s*:\s*/i;
const AUTH_SCHEME = /^(?:bearer|dpop)\s+/i;

/**
 * Finds the token in `input`: a bare JWT/JWE, a Cloakroom session token, an `Authorization` header, a
 * `Cookie` header or a `name=value` pair (whitespace and newlines around any of them are ignored). Nothing is
 * decoded or trusted here. Throws {@link InspectError} `no_token` when there is nothing to inspect.
 */
export function extractToken(input: string, options: ExtractOptions = {}): ExtractedToken {
  if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
    throw new InspectError('no_token', `the input is larger than ${MAX_INPUT_BYTES} bytes`);
  }
  let text = input.trim().replace(HEADER_PREFIX, '');
  const isAuthorization = AUTH_SCHEME.test(text);
  text = text.replace(AUTH_SCHEME, '').trim();
  if (text.length === 0) throw new InspectError('no_token', 'the input is empty');
  if (!text.includes('=') && options.cookieName === undefined) {
    return bareToken(text.replace(/\s+/g, ''), isAuthorization ? 'authorization' : 'bare');
  }
  return fromCookies(text, options.cookieName);
}

function bareToken(token: string, source: TokenSource): ExtractedToken {
  const kind = kindOf(token);
  if (kind === null) {
    const segments = token.split('.').length;
    throw new InspectError(
      'no_token',
      `not a JWT (3 segments), a JWE (5 segments) or a Cloakroom session token: it has ${segments} segment${segments === 1 ? '' : 's'}`,
    );
  }
  return { kind, token, source, cookieName: null, cookieValueBytes: null, otherTokenCookies: [] };
}

function kindOf(token: string): TokenKind | null {
  if (parseToken(token) !== null) return 'session';
  const segments = token.split('.').length;
  if (segments === 3) return 'jws';
  if (segments === 5) return 'jwe';
  return null;
}

interface CookiePair {
  name: string;
  value: string;
}

function fromCookies(header: string, wanted: string | undefined): ExtractedToken {
  const pairs = parsePairs(header);
  if (wanted !== undefined) {
    const pair = pairs.find((candidate) => candidate.name === wanted);
    if (pair === undefined) throw new InspectError('no_token', 'no cookie by that name in the input');
    const found = tokenIn(pair);
    if (found === null)
      throw new InspectError('no_token', 'that cookie holds no JWT, JWE or Cloakroom token');
    return found;
  }
  const withTokens = pairs.flatMap((pair) => {
    const found = tokenIn(pair);
    return found === null ? [] : [found];
  });
  // A JWT is what the user came to inspect; a Cloakroom session cookie beside it comes second.
  const first = withTokens.find((found) => found.kind !== 'session') ?? withTokens[0] ?? null;
  if (first === null) {
    throw new InspectError('no_token', 'no JWT, JWE or Cloakroom session cookie found in the cookies');
  }
  first.otherTokenCookies = withTokens
    .filter((found) => found !== first && found.kind !== 'session')
    .map((found) => found.cookieName ?? '');
  return first;
}

function parsePairs(header: string): CookiePair[] {
  const pairs: CookiePair[] = [];
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    let value = part.slice(at + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    pairs.push({ name, value: value.replace(/\s+/g, '') });
  }
  return pairs;
}

function tokenIn(pair: CookiePair): ExtractedToken | null {
  const value = pair.value;
  const base = { source: 'cookie' as const, cookieName: pair.name, otherTokenCookies: [] };
  if (parseToken(value) !== null) {
    return { ...base, kind: 'session', token: value, cookieValueBytes: Buffer.byteLength(value) };
  }
  const token = compactIn(value) ?? compactIn(safeDecode(value));
  if (token === null) return null;
  const kind = kindOf(token);
  if (kind === null) return null;
  return { ...base, kind, token, cookieValueBytes: Buffer.byteLength(value) };
}

/**
 * The first JWS (3 segments) or JWE (5 segments, the encrypted key empty for `dir`) inside `value`: a run of
 * base64url characters and dots starting at `eyJ` (how `{"` encodes), so a token wrapped in a signed cookie
 * (`s:<jwt>.<mac>`) is found too. A split and a scan, linear in the input: no backtracking regex.
 */
function compactIn(value: string): string | null {
  for (const run of value.split(/[^A-Za-z0-9_.-]+/)) {
    const at = run.indexOf('eyJ');
    if (at === -1) continue;
    const segments = run.slice(at).split('.');
    if (segments.length >= 5) return segments.slice(0, 5).join('.');
    if (segments.length >= 3) return segments.slice(0, 3).join('.');
  }
  return null;
}

// Percent-encoded values (`s%3AeyJ…`) hide the token's first characters; a bad escape leaves the value as is.
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
