import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * Who may read `/metrics`: with a token (`CLOAKROOM_METRICS_TOKEN`), any client that sends
 * `Authorization: Bearer <token>` (compared in constant time); without one, only a loopback peer (the socket's
 * own address, never `X-Forwarded-For`: a proxy on the same host would be loopback too, so put the token on
 * a site behind a proxy).
 */
export type MetricsAccess = 'allowed' | 'unauthorized' | 'forbidden';

export function metricsAccess(options: {
  token: string | undefined;
  authorization: string | undefined;
  peer: string | undefined;
}): MetricsAccess {
  if (options.token !== undefined) {
    const given = /^Bearer ([\x21-\x7e]+)$/.exec(options.authorization ?? '')?.[1];
    if (given === undefined) return 'unauthorized';
    // Digests first: equal lengths for timingSafeEqual, and the token's length is not timed either.
    const expected = createHash('sha256').update(options.token).digest();
    const actual = createHash('sha256').update(given).digest();
    return timingSafeEqual(expected, actual) ? 'allowed' : 'unauthorized';
  }
  return isLoopback(options.peer) ? 'allowed' : 'forbidden';
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined || isIP(address) === 0) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}
