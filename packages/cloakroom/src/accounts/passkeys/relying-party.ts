/** Who the passkeys are for: the WebAuthn relying party, derived from the site's public origin. */
export interface RelyingParty {
  /** The RP ID: the origin's host name (no port). Passkeys made for it work on this host only. */
  id: string;
  /** The exact origin a ceremony must come from (`https://example.com`, or `http://localhost:3000`). */
  origin: string;
  /** The name authenticators show. */
  name: string;
}

/**
 * The relying party for a site served at `origin` (the site's `CLOAKROOM_ORIGIN`): the RP ID is its host
 * name. Browsers accept WebAuthn on `https://` origins and on `http://localhost`; an IP address is never a
 * valid RP ID for a browser (a Node client, as in the tests, does not care).
 *
 * @example
 * ```ts
 * relyingPartyFromOrigin('https://app.example.com', 'Example') // { id: 'app.example.com', … }
 * ```
 */
export function relyingPartyFromOrigin(origin: string, name: string): RelyingParty {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new TypeError('the passkeys origin is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('the passkeys origin must be http:// or https://');
  }
  if (url.origin !== origin.replace(/\/$/, '')) {
    throw new TypeError('the passkeys origin must be a bare origin (no path, query or credentials)');
  }
  if (name.trim() === '') throw new TypeError('the relying party name must not be empty');
  return { id: url.hostname, origin: url.origin, name };
}
