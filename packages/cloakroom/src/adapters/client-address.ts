import { BlockList, isIP } from 'node:net';

/** Which header the trusted proxies append the client's address to. */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

/**
 * The proxies whose forwarding headers are believed, made by {@link trustedProxies}. Opaque: pass it to the
 * adapters' `trustedProxies` option or to {@link clientAddress}.
 */
export interface TrustedProxies {
  readonly header: ForwardedHeader;
  /** Whether `address` (already normalised, see {@link clientAddress}) is one of the proxies. */
  trusts(address: string): boolean;
}

/** Options of {@link trustedProxies}. */
export interface TrustedProxiesOptions {
  /**
   * The header the proxies write (default `x-forwarded-for`). Only one is read: a client can send the other
   * one itself, and reading it would let it choose its own address.
   */
  header?: ForwardedHeader;
}

/**
 * The proxies in front of the server, as CIDR ranges (`10.0.0.0/8`, `::1/128`; a bare address is one host),
 * given as a list or as one comma-separated string. Throws `TypeError` naming the first entry that is not a
 * CIDR range, so a typo fails at start-up instead of silently trusting nothing (or everything).
 *
 * @example
 * ```ts
 * const proxies = trustedProxies('10.0.0.0/8,127.0.0.1/32,::1/128');
 * http.createServer(async (req, res) => {
 *   const session = await sessionOfNode(sessions, req, res, requestInfoOfNode(req, { trustedProxies: proxies }));
 * });
 * ```
 */
export function trustedProxies(
  ranges: string | readonly string[],
  options: TrustedProxiesOptions = {},
): TrustedProxies {
  const header: string = options.header ?? 'x-forwarded-for';
  // Checked at run time too: a JavaScript caller (or a cast) could name a header the resolver never reads.
  if (header !== 'x-forwarded-for' && header !== 'forwarded') {
    throw new TypeError('header must be x-forwarded-for or forwarded');
  }
  const entries = typeof ranges === 'string' ? ranges.split(',') : ranges;
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    const address = normaliseAddress(slash === -1 ? entry : entry.slice(0, slash));
    const family = address === null ? 0 : isIP(address);
    const prefixText = slash === -1 ? String(family === 4 ? 32 : 128) : entry.slice(slash + 1);
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
    if (
      address === null ||
      family === 0 ||
      address.includes('%') ||
      prefix < 0 ||
      prefix > (family === 4 ? 32 : 128)
    ) {
      throw new TypeError(`not a CIDR range: ${JSON.stringify(entry.slice(0, 64))}`);
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    header,
    trusts: (address) => {
      const family = isIP(address);
      if (family === 0 || address.includes('%')) return false;
      return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/**
 * The client's address: the socket's `peer`, unless the peer is a trusted proxy; then the right-most address
 * of the forwarding header that is not a trusted proxy (each proxy appends the address it received the request
 * from, so everything left of the first untrusted hop may have been written by the client). When every hop is
 * trusted, the left-most. A missing header, an empty one or any hop that is not an IP address on the way
 * gives the peer: this never throws, and it answers the peer or a valid IP address (IPv4-mapped IPv6 written
 * as IPv4). Without `trusted` it is the peer.
 */
export function clientAddress(
  peer: string | null,
  header: (name: ForwardedHeader) => string | null | undefined,
  trusted: TrustedProxies | undefined,
): string | null {
  if (trusted === undefined || peer === null) return peer;
  const from = normaliseAddress(peer);
  if (from === null || !trusted.trusts(from)) return peer;
  const value = header(trusted.header);
  if (typeof value !== 'string' || value.length > 8192) return peer;
  const hops = trusted.header === 'forwarded' ? forwardedFor(value) : value.split(',');
  if (hops === null || hops.length === 0) return peer;
  let client = from;
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = normaliseAddress(hops[i] ?? '');
    if (hop === null) return peer;
    client = hop;
    if (!trusted.trusts(hop)) break;
  }
  return client;
}

/** `:<port>`, 0 to 65535. */
const isPort = (text: string) => /^:\d{1,5}$/.test(text) && Number(text.slice(1)) <= 65535;

const MAPPED_IPV4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * One hop as an address: a bare IP, `[v6]`, `[v6]:port` or `v4:port` (what proxies write), without spaces;
 * IPv4-mapped IPv6 becomes IPv4. `null` for anything else (`unknown`, obfuscated ids, garbage).
 */
function normaliseAddress(text: string): string | null {
  let address = text.trim();
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close === -1) return null;
    const rest = address.slice(close + 1);
    if (rest !== '' && !isPort(rest)) return null;
    address = address.slice(1, close);
    if (isIP(address) !== 6) return null;
  } else if (/^[\d.]+:\d+$/.test(address)) {
    const colon = address.lastIndexOf(':');
    if (!isPort(address.slice(colon))) return null;
    address = address.slice(0, colon);
  }
  const family = isIP(address);
  // A zone id (`fe80::1%eth0`) names an interface of the writer's machine, not a client.
  if (family === 0 || address.includes('%')) return null;
  const mapped = MAPPED_IPV4.exec(address);
  if (mapped?.[1] !== undefined && isIP(mapped[1]) === 4) return mapped[1];
  return family === 6 ? address.toLowerCase() : address;
}

/**
 * The `for=` values of an RFC 7239 `Forwarded` header, in order, or `null` when an element has none or the
 * header cannot be read (a quoted comma or semicolon, an unterminated quote): the caller then uses the peer.
 */
function forwardedFor(value: string): string[] | null {
  const hops: string[] = [];
  for (const element of value.split(',')) {
    let found: string | null = null;
    for (const pair of element.split(';')) {
      const equals = pair.indexOf('=');
      if (equals === -1) {
        if (pair.trim() === '') continue;
        return null;
      }
      if (pair.slice(0, equals).trim().toLowerCase() !== 'for') continue;
      let text = pair.slice(equals + 1).trim();
      if (text.startsWith('"')) {
        if (text.length < 2 || !text.endsWith('"')) return null;
        text = text.slice(1, -1);
      }
      if (found !== null) return null;
      found = text;
    }
    if (found === null) return null;
    hops.push(found);
  }
  return hops;
}
