import type { JWK } from 'jose';
import { isSigningAlgorithm, type SigningAlgorithm } from './keys.js';

/**
 * A key's place in its life: `next` is published in the JWKS but does not sign yet, `current` signs, `retired`
 * no longer signs but stays published until every token it signed has expired; then it is dropped.
 */
export type KeyState = 'next' | 'current' | 'retired';

/** One key as the keyring document stores it. Times are milliseconds since the epoch. */
export interface StoredKey {
  kid: string;
  alg: SigningAlgorithm;
  state: KeyState;
  createdAt: number;
  /** When it became `current`; `null` while `next`. */
  activatedAt: number | null;
  /** When it stopped signing; `null` unless `retired`. */
  retiredAt: number | null;
  /** The private key (it holds the public members too). */
  privateJwk: JWK;
  /** The public key as published: public members, `kid`, `alg`, `use`. */
  publicJwk: JWK;
}

/** The persisted document: `{"version":1,"keys":[…]}`. */
export interface KeyringDocument {
  version: 1;
  keys: StoredKey[];
}

const STATES: readonly KeyState[] = ['next', 'current', 'retired'];

function fail(message: string): never {
  throw new Error(`the signing keyring document is invalid: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function time(value: unknown, field: string, nullable: boolean): number | null {
  if (value === null && nullable) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${field} is not a time`);
  return value;
}

function parseKey(value: unknown, index: number): StoredKey {
  if (!isRecord(value)) fail(`keys[${index}] is not an object`);
  const { kid, alg, state, privateJwk, publicJwk } = value;
  if (typeof kid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(kid)) fail(`keys[${index}].kid is not valid`);
  if (!isSigningAlgorithm(alg)) fail(`keys[${index}].alg is not a supported algorithm`);
  if (typeof state !== 'string' || !(STATES as readonly string[]).includes(state)) {
    fail(`keys[${index}].state is not next, current or retired`);
  }
  if (!isRecord(privateJwk) || typeof privateJwk.d !== 'string')
    fail(`keys[${index}].privateJwk is not a key`);
  if (!isRecord(publicJwk) || 'd' in publicJwk || publicJwk.kid !== kid) {
    fail(`keys[${index}].publicJwk is not the public key`);
  }
  const key: StoredKey = {
    kid,
    alg,
    state: state as KeyState,
    createdAt: time(value.createdAt, `keys[${index}].createdAt`, false) as number,
    activatedAt: time(value.activatedAt, `keys[${index}].activatedAt`, true),
    retiredAt: time(value.retiredAt, `keys[${index}].retiredAt`, true),
    privateJwk: privateJwk,
    publicJwk: publicJwk,
  };
  if (key.state === 'retired' && key.retiredAt === null) fail(`keys[${index}] is retired without retiredAt`);
  return key;
}

/** Parses and checks a keyring document: exactly one current key, at most one next key, unique kids. */
export function parseKeyringDocument(text: string): KeyringDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail('not JSON');
  }
  if (!isRecord(raw) || raw.version !== 1 || !Array.isArray(raw.keys))
    fail('expected {"version":1,"keys":[…]}');
  const keys = raw.keys.map(parseKey);
  if (keys.filter((key) => key.state === 'current').length !== 1)
    fail('there must be exactly one current key');
  if (keys.filter((key) => key.state === 'next').length > 1) fail('there can be at most one next key');
  if (new Set(keys.map((key) => key.kid)).size !== keys.length) fail('two keys share a kid');
  return { version: 1, keys };
}

export function serializeKeyringDocument(document: KeyringDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
