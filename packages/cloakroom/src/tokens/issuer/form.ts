import { authenticateClient } from './clients.js';
import { invalidClient, OAuthError } from './errors.js';
import type { ClientStore, ClientRecord } from './types.js';

/** The largest form body the OAuth endpoints read (a token exchange carries an 8 KiB token at most). */
export const MAX_FORM_BYTES = 16 * 1024;

/** An OAuth endpoint's request as plain values (the HTTP glue fills it in). */
export interface OAuthRequest {
  contentType: string | null;
  authorization: string | null;
  body: string;
  /** The client's address and `User-Agent`, for the security events only (`cloakroom/events`). */
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * The form parameters (RFC 6749 §3.2: `application/x-www-form-urlencoded`; an empty value counts as
 * absent; a repeated parameter is `invalid_request`).
 */
export function readForm(request: OAuthRequest): Map<string, string> {
  const type = request.contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded.');
  }
  if (Buffer.byteLength(request.body) > MAX_FORM_BYTES) {
    throw new OAuthError('invalid_request', 'The request body is too large.');
  }
  const form = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(request.body)) {
    if (value === '') continue;
    if (form.has(name))
      throw new OAuthError('invalid_request', `The parameter ${safeName(name)} is repeated.`);
    form.set(name, value);
  }
  return form;
}

// Only known parameter names are echoed back; anything else is "a parameter".
const safeName = (name: string) => (/^[a-z_]{1,32}$/.test(name) ? name : 'a parameter');

/** Credentials from `Authorization: Basic` (RFC 6749 §2.3.1: each part form-encoded), `null` when absent. */
export function basicCredentials(authorization: string | null): { id: string; secret: string } | null {
  if (authorization === null) return null;
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
  if (match === null) {
    if (/^Basic\b/i.test(authorization)) throw invalidClient();
    // Some other scheme (Bearer, say) is not client authentication here.
    throw new OAuthError('invalid_request', 'Authenticate the client with HTTP Basic.');
  }
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw invalidClient();
  try {
    const id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    return { id, secret };
  } catch {
    throw invalidClient();
  }
}

/**
 * The client a request authenticates as with HTTP Basic, `null` when it sent no credentials;
 * 401 `invalid_client` (with the Basic challenge) when they are wrong. Secrets in the body are refused:
 * only `client_secret_basic` is offered.
 */
export async function authenticateRequestClient(
  clients: ClientStore,
  request: OAuthRequest,
  form: Map<string, string>,
): Promise<ClientRecord | null> {
  if (form.has('client_secret')) {
    throw new OAuthError('invalid_request', 'Send the client secret with HTTP Basic, not in the body.');
  }
  const credentials = basicCredentials(request.authorization);
  if (credentials === null) return null;
  const client = await authenticateClient(clients, credentials.id, credentials.secret);
  if (client === null) throw invalidClient();
  const named = form.get('client_id');
  if (named !== undefined && named !== client.id) {
    throw new OAuthError('invalid_request', 'client_id does not match the authenticated client.');
  }
  return client;
}
