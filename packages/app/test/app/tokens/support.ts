// Shared helpers for the issuer tests: a signed-in browser that mints tokens, raw OAuth requests, clients
// registered straight in the site's store, and a decoder for looking inside tokens (no trust needed there).
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { registerClient } from 'cloakroom/tokens/issuer';
import { systemClock } from '../../../../cloakroom/src/clock.js';
import type { TestApp } from '../../helpers/app.js';
import { ApiClient, uniqueEmail } from '../api/client.js';

export interface MintedTokens {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** A registered, signed-in browser and its user. */
export async function signedIn(
  app: TestApp,
): Promise<{ client: ApiClient; user: { id: string; email: string } }> {
  const client = new ApiClient(app);
  const user = await client.register(uniqueEmail('tokens'));
  return { client, user };
}

/** `POST /api/tokens` from a signed-in browser; asserts 201. */
export async function mint(client: ApiClient, body: Record<string, unknown> = {}): Promise<MintedTokens> {
  const response = await client.post('/api/tokens', body);
  assert.equal(response.status, 201, response.text);
  return response.body as MintedTokens;
}

export interface OAuthResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** A form-encoded POST to an OAuth endpoint, with optional HTTP Basic client credentials. */
export async function oauthPost(
  app: TestApp,
  path: '/oauth/token' | '/oauth/revoke',
  form: Record<string, string>,
  options: { basic?: { id: string; secret: string }; headers?: Record<string, string> } = {},
): Promise<OAuthResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.basic !== undefined) headers.authorization = basic(options.basic.id, options.basic.secret);
  Object.assign(headers, options.headers);
  const response = await fetch(app.url + path, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** RFC 6749 §2.3.1 Basic credentials (each part form-encoded first). */
export function basic(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

/** Asserts an RFC 6749 error answer: status, `{"error","error_description"}` only, never cached. */
export function assertOAuthError(response: OAuthResponse, status: number, error: string): void {
  assert.equal(response.status, status, response.text);
  assert.deepEqual(Object.keys(response.body).sort(), ['error', 'error_description'], response.text);
  assert.equal(response.body.error, error, response.text);
  assert.equal(typeof response.body.error_description, 'string');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('pragma'), 'no-cache');
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(response.headers.getSetCookie().length, 0, 'no cookie');
}

let clientCounter = 0;

/**
 * Registers a service client straight in the site's store; resolves to its credentials. `resources`: the
 * audiences it serves (whose users' tokens it may exchange).
 */
export async function addClient(
  app: TestApp,
  scopes: string[],
  audiences: string[],
  resources: string[] = [],
): Promise<{ id: string; secret: string }> {
  clientCounter += 1;
  const { clientId, clientSecret } = await registerClient(
    app.services.tokens.issuer.clients,
    { id: `svc-${clientCounter}-${process.pid}`, scopes, audiences, resources },
    systemClock,
  );
  return { id: clientId, secret: clientSecret };
}

/** The claims and header of a token, decoded without verification (the tests check what was signed). */
export function inspect(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
}

/** A request with `Authorization: Bearer` and nothing else (no cookie, no Origin). */
export async function bearer(
  app: TestApp,
  method: string,
  path: string,
  token: string,
  json?: unknown,
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  const init: RequestInit = { method, headers };
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  const response = await fetch(app.url + path, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/**
 * The stored state of a refresh token's family (SQLite site): whether and why it was revoked. Read straight
 * from the table, so a test can tell a revocation hook from the refresh-time session check.
 */
export function familyState(
  app: TestApp,
  refreshToken: string,
): { revoked_reason: string | null } | undefined {
  const db = app.services.db;
  assert.ok(db !== null, 'a SQLite site');
  return db
    .prepare(
      `SELECT f.revoked_reason FROM cloakroom_refresh_tokens t
       JOIN cloakroom_refresh_families f ON f.id = t.family_id WHERE t.id = ?`,
    )
    .get(refreshToken.split('.')[0]) as { revoked_reason: string | null } | undefined;
}
