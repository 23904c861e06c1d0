import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { storeCall } from '../../lib/store-call.js';
import type { ClientRecord, ClientStore } from './types.js';

/** The client id of tokens minted from a session (`POST /api/tokens`): reserved, never registrable. */
export const SESSION_CLIENT_ID = 'session';

/** Client ids: unreserved URI characters only, so HTTP Basic's form-encoding never changes them. */
export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,64}$/;

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

/** An audience: a printable ASCII string without spaces (typically the resource's URL). */
export const AUDIENCE = /^[\x21-\x7E]{1,512}$/;

const HASH_VERSION = 'sha256:';

/**
 * The stored form of a client secret: `sha256:<base64url digest>`. A fast hash is right here, unlike for
 * passwords: the secret is 256 bits from the CSPRNG, so nobody can search that space, and a slow hash
 * would only turn every client-credentials request into a denial-of-service lever. The prefix lets the
 * scheme change later.
 */
export function hashClientSecret(secret: string): string {
  return HASH_VERSION + createHash('sha256').update(secret).digest('base64url');
}

/** Whether `secret` matches `stored`, compared in constant time. */
export function verifyClientSecret(stored: string, secret: string): boolean {
  const expected = stored.startsWith(HASH_VERSION)
    ? Buffer.from(stored.slice(HASH_VERSION.length), 'base64url')
    : Buffer.alloc(0);
  const actual = createHash('sha256').update(secret).digest();
  // Always one comparison of equal lengths, whatever the stored value looks like.
  const same = timingSafeEqual(actual, expected.length === actual.length ? expected : DUMMY);
  return same && expected.length === actual.length;
}

const DUMMY = createHash('sha256').update('no client').digest();

/** A client to register: its id, and what it may obtain. */
export interface NewClient {
  id: string;
  scopes: readonly string[];
  audiences: readonly string[];
  /** Audiences the client serves, whose users' tokens it may exchange (default none: no token exchange). */
  resources?: readonly string[];
}

/**
 * Registers a service client with a fresh 256-bit secret; resolves to the secret, which is stored only
 * hashed and cannot be shown again. Throws `TypeError` for an id, scope or audience that is not allowed;
 * rejects with `ClientExistsError` (code `client_exists`) when the id is taken.
 *
 * @example
 * ```ts
 * const { clientId, clientSecret } = await registerClient(
 *   clients, { id: 'reports', scopes: ['notes:read'], audiences: ['https://site.example/api'],
 *     resources: ['https://reports.example'] }, systemClock);
 * ```
 */
export async function registerClient(
  store: ClientStore,
  client: NewClient,
  clock: Clock,
): Promise<{ clientId: string; clientSecret: string }> {
  if (!CLIENT_ID.test(client.id)) {
    throw new TypeError('the client id must be 1-64 letters, digits, ".", "_", "~" or "-"');
  }
  if (client.id === SESSION_CLIENT_ID) throw new TypeError(`the client id ${SESSION_CLIENT_ID} is reserved`);
  if (client.scopes.length === 0) throw new TypeError('give the client at least one scope');
  if (client.audiences.length === 0) throw new TypeError('give the client at least one audience');
  for (const scope of client.scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new TypeError('a scope is printable ASCII without spaces, " or \\');
  }
  const resources = client.resources ?? [];
  for (const audience of [...client.audiences, ...resources]) {
    if (!AUDIENCE.test(audience)) throw new TypeError('an audience is printable ASCII without spaces');
  }
  const clientSecret = randomBytes(32).toString('base64url');
  const record: ClientRecord = {
    id: client.id,
    secretHash: hashClientSecret(clientSecret),
    scopes: [...new Set(client.scopes)],
    audiences: [...new Set(client.audiences)],
    resources: [...new Set(resources)],
    createdAt: clock.now(),
  };
  await store.add(record);
  return { clientId: client.id, clientSecret };
}

/**
 * The registered client for an id and secret, or `null` when either is wrong. An unknown id costs the
 * same hash and comparison as a known one.
 */
export async function authenticateClient(
  store: ClientStore,
  clientId: string,
  clientSecret: string,
): Promise<ClientRecord | null> {
  const client = CLIENT_ID.test(clientId)
    ? await storeCall('clients.find', () => store.find(clientId))
    : null;
  const valid = verifyClientSecret(client?.secretHash ?? '', clientSecret);
  return client !== null && valid ? client : null;
}
