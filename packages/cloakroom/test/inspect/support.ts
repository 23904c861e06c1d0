import { generateKeyPairSync } from 'node:crypto';
import { base64url, exportJWK, SignJWT, type JWTPayload, type JWTHeaderParameters } from 'jose';
import {
  buildReport,
  decodeToken,
  extractToken,
  measureSessionCookie,
  type InspectionReport,
  type SessionCookieSize,
} from '../../src/inspect/index.js';

/** A fixed "now" for the audits: 2026-01-01T00:00:00Z. */
export const NOW = 1_767_225_600;

export const ed25519 = generateKeyPairSync('ed25519');
export const otherEd25519 = generateKeyPairSync('ed25519');
export const hmacSecret = new TextEncoder().encode('test-only-hmac-secret-of-32-bytes-or-more!');

/** A public JWKS with the Ed25519 key under `kid`. */
export async function publicJwks(kid = 'k1'): Promise<{ keys: Record<string, unknown>[] }> {
  return { keys: [{ ...(await exportJWK(ed25519.publicKey)), kid, alg: 'EdDSA', use: 'sig' }] };
}

/** Claims of a well-made access token, valid around {@link NOW} (or the real clock when `live`). */
export function goodClaims(live = false): JWTPayload {
  const now = live ? Math.floor(Date.now() / 1000) : NOW;
  return {
    iss: 'https://auth.example.com',
    sub: 'user-42',
    aud: 'https://api.example.com',
    client_id: 'web',
    scope: 'notes:read',
    jti: 'f3b1c2',
    iat: now - 60,
    exp: now + 540,
  };
}

/** Signs `claims` with jose (EdDSA by default), the header being exactly `header` plus the alg. */
export async function sign(
  claims: JWTPayload,
  header: Partial<JWTHeaderParameters> = { typ: 'at+jwt', kid: 'k1' },
  alg = 'EdDSA',
): Promise<string> {
  const key = alg.startsWith('HS') ? hmacSecret : ed25519.privateKey;
  return new SignJWT(claims).setProtectedHeader({ ...header, alg }).sign(key);
}

/** A compact token whose header and payload are the given JSON (signature made up): for headers jose won't sign. */
export function craft(header: unknown, claims: unknown, signature = 'c2lnbmF0dXJl'): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(claims)}.${signature}`;
}

let cookie: SessionCookieSize | undefined;

/** The whole pipeline without the CLI: extract, decode, audit at {@link NOW}. */
export async function inspect(input: string, requests = 100_000): Promise<InspectionReport> {
  cookie ??= await measureSessionCookie();
  const found = extractToken(input);
  return buildReport(found, decodeToken(found), { requests, now: NOW, cookie });
}

/** The ids of a report's findings. */
export function ids(report: InspectionReport): string[] {
  return report.findings.map((finding) => finding.id);
}

/** The finding with `id`, or throws. */
export function finding(report: InspectionReport, id: string) {
  const found = report.findings.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no ${id} finding; got ${ids(report).join(', ')}`);
  return found;
}
