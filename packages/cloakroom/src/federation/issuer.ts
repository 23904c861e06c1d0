const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether `url` is plain http on a loopback host (local development and tests). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Parses an issuer identifier: an https URL (or plain http on a loopback host) with no query, fragment or
 * credentials, as OpenID Connect Discovery requires. Throws a `TypeError` naming `what` otherwise.
 */
export function parseIssuer(value: string, what = 'issuer'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${what} must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new TypeError(
      `${what} must be https; plain http is allowed only on loopback hosts (localhost, 127.0.0.1, [::1])`,
    );
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError(`${what} must have no query, fragment or credentials`);
  }
  return url;
}
