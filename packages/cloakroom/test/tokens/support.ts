import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import {
  loadOrCreateKeyring,
  memoryKeyringStorage,
  signAccessToken,
  type SigningKeyring,
} from '../../src/tokens/index.js';
import { ManualClock } from '../helpers/clock.js';

export const ISSUER = 'https://auth.example';
export const AUDIENCE = 'https://api.example';
export const NOW_SECONDS = Math.floor(Date.UTC(2026, 0, 1) / 1000);

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** An Ed25519 key pair built with node:crypto, so tests can sign any bytes they like. */
export interface RawKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwks: JSONWebKeySet;
}

export function rawEd25519Key(kid = 'test-key-1'): RawKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { kid, privateKey, publicKey, jwks: { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] } };
}

/** Signs exactly the given header and payload JSON texts (duplicates, odd types and all) with Ed25519. */
export function signRaw(key: KeyObject, headerJson: string, payloadJson: string): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/** HS256 over the given texts with an arbitrary secret (the "HMAC keyed with the public key" attack). */
export function hmacRaw(secret: string | Buffer, headerJson: string, payloadJson: string): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A valid claims set at NOW_SECONDS, with overrides (`undefined` removes a claim). */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'user-1',
    aud: AUDIENCE,
    exp: NOW_SECONDS + 300,
    iat: NOW_SECONDS,
    jti: 'jti-1',
    client_id: 'web',
    scope: 'notes:read',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

export function header(key: RawKey, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

export function token(key: RawKey, headerOverrides = {}, claimOverrides = {}): string {
  return signRaw(
    key.privateKey,
    JSON.stringify(header(key, headerOverrides)),
    JSON.stringify(claims(claimOverrides)),
  );
}

/**
 * The classic attacks against a verifier that trusts `key`, each a token it must refuse, with the reason.
 * `attacker` is a key the verifier does not know.
 */
export function attackTokens(
  key: RawKey,
  attacker: RawKey,
): { name: string; token: string; reason: string }[] {
  const valid = token(key);
  const [h, p, s] = valid.split('.') as [string, string, string];
  const publicJwk = JSON.stringify(key.jwks.keys[0]);
  const publicPem = key.publicKey.export({ format: 'pem', type: 'spki' });
  const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
  const cases: { name: string; token: string; reason: string }[] = [];
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsigned = `${b64(JSON.stringify(header(key, { alg })))}.${p}`;
    cases.push({ name: `alg ${alg}, empty signature`, token: `${unsigned}.`, reason: 'malformed' });
    cases.push({
      name: `alg ${alg}, junk signature`,
      token: `${unsigned}.AAAA`,
      reason: 'algorithm_not_allowed',
    });
  }
  const hs = JSON.stringify(header(key, { alg: 'HS256' }));
  const body = JSON.stringify(claims());
  cases.push({
    name: 'HS256 keyed with the public JWK',
    token: hmacRaw(publicJwk, hs, body),
    reason: 'algorithm_not_allowed',
  });
  cases.push({
    name: 'HS256 keyed with the public PEM',
    token: hmacRaw(publicPem, hs, body),
    reason: 'algorithm_not_allowed',
  });
  cases.push({
    name: 'embedded jwk (attacker key)',
    token: signRaw(attacker.privateKey, JSON.stringify(header(key, { jwk: attackerJwk })), body),
    reason: 'forbidden_header',
  });
  cases.push({
    name: 'jku pointing elsewhere',
    token: signRaw(
      attacker.privateKey,
      JSON.stringify(header(key, { jku: 'http://127.0.0.1:9/jwks.json' })),
      body,
    ),
    reason: 'forbidden_header',
  });
  cases.push({
    name: 'x5u pointing elsewhere',
    token: signRaw(
      attacker.privateKey,
      JSON.stringify(header(key, { x5u: 'http://127.0.0.1:9/cert.pem' })),
      body,
    ),
    reason: 'forbidden_header',
  });
  for (const kid of ['../../../../dev/null', "' OR '1'='1' --", 'test-key-1\u0000', '*']) {
    cases.push({
      name: `kid injection ${JSON.stringify(kid)}`,
      token: token(key, { kid }),
      reason: 'unknown_key',
    });
  }
  cases.push({
    name: 'kid that is not a string',
    token: token(key, { kid: { $ne: null } }),
    reason: 'malformed',
  });
  cases.push({
    name: 'signed by an unknown key under the right kid',
    token: token(attacker, { kid: key.kid }),
    reason: 'signature_invalid',
  });
  cases.push({ name: 'stripped signature', token: `${h}.${p}.`, reason: 'malformed' });
  cases.push({ name: 'two segments', token: `${h}.${p}`, reason: 'malformed' });
  cases.push({ name: 'four segments', token: `${valid}.${s}`, reason: 'malformed' });
  cases.push({
    name: 'signature not base64url',
    token: `${h}.${p}.${s.slice(0, -2)}+/`,
    reason: 'malformed',
  });
  cases.push({ name: 'signature of impossible length', token: `${h}.${p}.${s}AAA`, reason: 'malformed' });
  cases.push({
    name: 'truncated signature',
    token: `${h}.${p}.${s.slice(0, -4)}`,
    reason: 'signature_invalid',
  });
  cases.push({
    name: 'signature of another token',
    token: `${h}.${p}.${token(key, {}, { jti: 'other' }).split('.')[2]!}`,
    reason: 'signature_invalid',
  });
  cases.push({
    name: 'payload swapped after signing',
    token: `${h}.${b64(JSON.stringify(claims({ sub: 'admin' })))}.${s}`,
    reason: 'signature_invalid',
  });
  cases.push({ name: 'header not JSON', token: `${b64('{"alg":')}.${p}.${s}`, reason: 'malformed' });
  cases.push({ name: 'header a JSON array', token: `${b64('["EdDSA"]')}.${p}.${s}`, reason: 'malformed' });
  cases.push({
    name: 'header invalid UTF-8',
    token: `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${p}.${s}`,
    reason: 'malformed',
  });
  cases.push({
    name: 'wrong audience',
    token: token(key, {}, { aud: 'https://other.example' }),
    reason: 'claim_invalid',
  });
  cases.push({
    name: 'missing audience',
    token: token(key, {}, { aud: undefined }),
    reason: 'claim_invalid',
  });
  cases.push({
    name: 'wrong issuer (trailing slash)',
    token: token(key, {}, { iss: `${ISSUER}/` }),
    reason: 'claim_invalid',
  });
  cases.push({ name: 'missing issuer', token: token(key, {}, { iss: undefined }), reason: 'claim_invalid' });
  cases.push({ name: 'typ JWT', token: token(key, { typ: 'JWT' }), reason: 'wrong_type' });
  cases.push({ name: 'typ missing', token: token(key, { typ: undefined }), reason: 'wrong_type' });
  for (const claim of ['sub', 'jti', 'client_id', 'exp', 'iat']) {
    cases.push({
      name: `missing ${claim}`,
      token: token(key, {}, { [claim]: undefined }),
      reason: 'claim_invalid',
    });
  }
  cases.push({
    name: 'client_id not a string',
    token: token(key, {}, { client_id: 7 }),
    reason: 'claim_invalid',
  });
  cases.push({
    name: 'scope not a string',
    token: token(key, {}, { scope: ['admin'] }),
    reason: 'claim_invalid',
  });
  cases.push({
    name: 'expired',
    token: token(key, {}, { iat: NOW_SECONDS - 400, exp: NOW_SECONDS - 100 }),
    reason: 'expired',
  });
  cases.push({
    name: 'not yet valid (nbf)',
    token: token(key, {}, { nbf: NOW_SECONDS + 120 }),
    reason: 'not_yet_valid',
  });
  cases.push({
    name: 'issued in the future (iat)',
    token: token(key, {}, { iat: NOW_SECONDS + 120, exp: NOW_SECONDS + 400 }),
    reason: 'not_yet_valid',
  });
  cases.push({
    name: 'exp a string',
    token: token(key, {}, { exp: String(NOW_SECONDS + 300) }),
    reason: 'claim_invalid',
  });
  cases.push({
    name: 'exp an array',
    token: token(key, {}, { exp: [NOW_SECONDS + 300] }),
    reason: 'claim_invalid',
  });
  cases.push({
    name: 'iat a string',
    token: token(key, {}, { iat: String(NOW_SECONDS) }),
    reason: 'claim_invalid',
  });
  cases.push({ name: 'nbf a boolean', token: token(key, {}, { nbf: true }), reason: 'claim_invalid' });
  cases.push({
    name: 'exp absurdly far in the future',
    token: token(key, {}, { exp: 1e20 }),
    reason: 'claim_invalid',
  });
  cases.push({
    name: 'exp one day out',
    token: token(key, {}, { exp: NOW_SECONDS + 86_400 }),
    reason: 'claim_invalid',
  });
  cases.push({
    name: 'iat absurdly far in the future',
    token: token(key, {}, { iat: 1e20, exp: 1e20 + 60 }),
    reason: 'not_yet_valid',
  });
  cases.push({
    name: 'iat ancient (over the maximum age)',
    token: token(key, {}, { iat: NOW_SECONDS - 7200 }),
    reason: 'expired',
  });
  cases.push({
    name: 'oversized (over 8 KiB, validly signed)',
    token: token(key, {}, { pad: 'x'.repeat(8192) }),
    reason: 'malformed',
  });
  const dupSub = body.replace('"sub":"user-1"', '"sub":"user-1","sub":"admin"');
  cases.push({
    name: 'duplicate claim sub',
    token: signRaw(key.privateKey, JSON.stringify(header(key)), dupSub),
    reason: 'duplicate_member',
  });
  const dupEscaped = body.replace('"sub":"user-1"', '"sub":"user-1","s\\u0075b":"admin"');
  cases.push({
    name: 'duplicate claim sub, escaped',
    token: signRaw(key.privateKey, JSON.stringify(header(key)), dupEscaped),
    reason: 'duplicate_member',
  });
  const dupAlg = `{"alg":"EdDSA","kid":"${key.kid}","typ":"at+jwt","alg":"none"}`;
  cases.push({
    name: 'duplicate header alg',
    token: signRaw(key.privateKey, dupAlg, body),
    reason: 'duplicate_member',
  });
  const dupNested = body.replace('"sub":"user-1"', '"sub":"user-1","act":{"sub":"a","sub":"b"}');
  cases.push({
    name: 'duplicate member in a nested object',
    token: signRaw(key.privateKey, JSON.stringify(header(key)), dupNested),
    reason: 'duplicate_member',
  });
  cases.push({ name: 'crit header', token: token(key, { crit: ['exp'] }), reason: 'forbidden_header' });
  cases.push({ name: 'zip header', token: token(key, { zip: 'DEF' }), reason: 'forbidden_header' });
  cases.push({
    name: 'ES256 when only EdDSA is allowed',
    token: token(key, { alg: 'ES256' }),
    reason: 'algorithm_not_allowed',
  });
  return cases;
}

/** A keyring in memory with a manual clock, and a helper to sign a default access token with it. */
export async function memoryKeyring(
  options: { alg?: 'EdDSA' | 'ES256' | 'RS256'; clock?: ManualClock } = {},
): Promise<{
  keyring: SigningKeyring;
  clock: ManualClock;
  storage: ReturnType<typeof memoryKeyringStorage>;
  sign: (extra?: { lifetimeSeconds?: number; scope?: string }) => Promise<string>;
}> {
  const clock = options.clock ?? new ManualClock(NOW_SECONDS * 1000);
  const storage = memoryKeyringStorage();
  const keyring = await loadOrCreateKeyring({
    storage,
    clock,
    ...(options.alg ? { alg: options.alg } : {}),
  });
  const sign = async (extra: { lifetimeSeconds?: number; scope?: string } = {}) =>
    (
      await signAccessToken({
        keyring,
        issuer: ISSUER,
        subject: 'user-1',
        audience: AUDIENCE,
        clientId: 'web',
        scope: extra.scope ?? 'notes:read',
        clock,
        ...(extra.lifetimeSeconds ? { lifetimeSeconds: extra.lifetimeSeconds } : {}),
      })
    ).token;
  return { keyring, clock, storage, sign };
}
