import { randomBytes } from 'node:crypto';
import { createSessionManager } from '../session/index.js';
import { MemoryStore } from '../stores/memory.js';

/** The size of a real Cloakroom session cookie, measured by issuing one. */
export interface SessionCookieSize {
  /** The cookie's name on an https site (`__Host-cloakroom`). */
  name: string;
  /** Bytes of the default, signed cookie value (`<id>.<secret>.<mac>`). */
  signedBytes: number;
  /** Bytes of the unsigned value (`<id>.<secret>`, `signed: false`). */
  unsignedBytes: number;
}

/**
 * Issues a session with the session code itself (an in-memory store, a throwaway key) and measures its
 * cookie, so the baseline follows the code if the token format ever changes.
 */
export async function measureSessionCookie(): Promise<SessionCookieSize> {
  const options = { store: new MemoryStore(), origin: 'https://example.com' };
  const signed = await createSessionManager({ ...options, keys: [randomBytes(32)] }).create('inspect');
  const unsigned = await createSessionManager({ ...options, signed: false }).create('inspect');
  const name = signed.setCookie.slice(0, signed.setCookie.indexOf('='));
  return {
    name,
    signedBytes: Buffer.byteLength(signed.token),
    unsignedBytes: Buffer.byteLength(unsigned.token),
  };
}

/** What carrying the token instead of a Cloakroom cookie costs over a month of requests. */
export interface TrafficProjection {
  requests: number;
  tokenBytes: number;
  cookieBytes: number;
  /** `tokenBytes - cookieBytes`; negative if the token is the smaller one. */
  extraBytesPerRequest: number;
  extraBytes: number;
  /** `extraBytes / 1,000,000` (decimal megabytes, as the seed article counts). */
  extraMegabytes: number;
  assumption: string;
}

/** The assumption every projection makes, shown beside it. */
export const TRAFFIC_ASSUMPTION =
  'the token travels once per request, client to server (Cookie or Authorization header); responses do not ' +
  'carry it (Set-Cookie only at sign-in); cookie names are left out and no HTTP/2 or HTTP/3 header ' +
  'compression is counted; MB = 1,000,000 bytes';

/** `(tokenBytes - cookieBytes) x requests`, the seed article's projection, for one month of `requests`. */
export function projectTraffic(tokenBytes: number, cookieBytes: number, requests: number): TrafficProjection {
  const extraBytesPerRequest = tokenBytes - cookieBytes;
  const extraBytes = extraBytesPerRequest * requests;
  return {
    requests,
    tokenBytes,
    cookieBytes,
    extraBytesPerRequest,
    extraBytes,
    extraMegabytes: extraBytes / 1_000_000,
    assumption: TRAFFIC_ASSUMPTION,
  };
}
