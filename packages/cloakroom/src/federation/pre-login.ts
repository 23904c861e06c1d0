import { hash, randomBytes } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import { z } from 'zod';
import { isLoopbackOrigin } from '../session/index.js';
import { storeCall } from '../lib/store-call.js';
import type { FederationStateStore } from './stores/types.js';

/** What a sign-in in progress needs at its callback; kept server-side, never in the browser. */
export interface PreLoginRecord {
  /** The provider id the sign-in was started with (a callback at another provider's URL is refused). */
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A local path to land on afterwards, already checked by `safeReturnTo`. */
  returnTo: string | null;
  /** Linking a provider to the signed-in account started by this user and session, or a sign-in. */
  link: { userId: string; sessionId: string } | null;
  createdAt: number;
}

const recordSchema = z.strictObject({
  provider: z.string(),
  state: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
  returnTo: z.string().nullable(),
  link: z.strictObject({ userId: z.string(), sessionId: z.string() }).nullable(),
  createdAt: z.number(),
});

/** How long a sign-in may take between the start and the callback, by default: 10 minutes. */
export const DEFAULT_PRE_LOGIN_SECONDS = 600;

// The browser's handle is the secret; the store key is its hash, so a read of the store grants nothing.
const storeKey = (handle: string) => `pl:${hash('sha256', handle, 'base64url')}`;
const HANDLE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Saves a pre-login record under a fresh random handle (256 bits) and resolves to the handle. */
export async function savePreLogin(
  store: FederationStateStore,
  record: PreLoginRecord,
  ttlSeconds: number,
): Promise<string> {
  const expiresAt = record.createdAt + ttlSeconds * 1000;
  for (;;) {
    const handle = randomBytes(32).toString('base64url');
    const value = JSON.stringify(record);
    const key = storeKey(handle);
    if (await storeCall('federation.add', () => store.add(key, value, expiresAt, record.createdAt))) {
      return handle;
    }
  }
}

/**
 * Takes (reads and deletes, atomically) the pre-login record for `handle`: `null` when the handle is
 * malformed, unknown, expired or already used.
 */
export async function takePreLogin(
  store: FederationStateStore,
  handle: string | null,
  now: number,
): Promise<PreLoginRecord | null> {
  if (handle === null || !HANDLE_PATTERN.test(handle)) return null;
  const value = await storeCall('federation.take', () => store.take(storeKey(handle), now));
  if (value === null) return null;
  try {
    const parsed = recordSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The short-lived cookie that binds a sign-in in progress to the browser that started it. It holds only the
 * random handle. HttpOnly; SameSite=Lax so the provider's top-level redirect back carries it; `__Host-` and
 * Secure on https origins.
 */
export class PreLoginCookie {
  readonly name: string;
  readonly #secure: boolean;

  /** `origin` is the site's public origin; plain http only on loopback hosts. */
  constructor(origin: string, baseName = 'cloakroom-oidc') {
    this.#secure = origin.startsWith('https:');
    if (!this.#secure && !isLoopbackOrigin(origin)) {
      throw new TypeError('origin must be https; plain http is allowed only on loopback hosts');
    }
    this.name = this.#secure ? `__Host-${baseName}` : baseName;
  }

  /** `Set-Cookie` carrying the handle for `maxAgeSeconds`. */
  serialize(handle: string, maxAgeSeconds: number): string {
    return this.#cookie(handle, maxAgeSeconds);
  }

  /** `Set-Cookie` that removes the cookie (after the callback, whatever its outcome). */
  clear(): string {
    return this.#cookie('', 0);
  }

  /** The handle from a `Cookie` header, or `null` (absent, malformed, or present more than once). */
  read(header: string | null | undefined): string | null {
    if (typeof header !== 'string' || !header.includes(this.name)) return null;
    const occurrences = header.split(';').filter((part) => part.trim().startsWith(`${this.name}=`));
    if (occurrences.length !== 1) return null;
    const value = parseCookie(header, { decode: (text) => text })[this.name];
    return value !== undefined && HANDLE_PATTERN.test(value) ? value : null;
  }

  #cookie(value: string, maxAge: number): string {
    return stringifySetCookie({
      name: this.name,
      value,
      httpOnly: true,
      secure: this.#secure,
      sameSite: 'lax',
      path: '/',
      maxAge,
    });
  }
}
