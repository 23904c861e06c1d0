/**
 * Origins are compared as exact serialized strings (`scheme://host[:port]`), the form browsers send in the
 * `Origin` header. Configured origins are normalised once through the URL parser.
 */
export function normalizeOrigin(value: string, what = 'origin'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${what} must be an absolute http(s) origin such as https://example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`${what} must use http or https`);
  }
  if (
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new TypeError(`${what} must be an origin only (scheme, host and port), without a path`);
  }
  return url.origin;
}

/** Loopback hosts, where plain http is allowed for development: nothing else can reach them. */
export function isLoopbackOrigin(origin: string): boolean {
  const { hostname } = new URL(origin);
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}
