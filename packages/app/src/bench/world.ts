/**
 * What every scenario of `cloakroom bench` shares: the seed's JWT claims, the users (one SQLite file that
 * Cloakroom's store joins and the JWT scenarios query), the signing keys, and Cloakroom session managers on
 * each store. The in-process scenarios and the HTTP servers (each in its own process) build their world
 * from here, so both measure the same thing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Redis } from 'ioredis';
import { createSessionManager, type SessionManager } from 'cloakroom/session';
import type { SessionStore } from 'cloakroom/stores';
import { importOptional, missingPackage } from './optional.js';

/** The public origin every session is issued for: https, so cookies get `Secure` and `__Host-`. */
export const ORIGIN = 'https://example.com';
/** The user of the seed's example. */
export const SEED_USER_ID = 'abc123';
/** The claims the seed's author signed (its "JWT Size" section), with their original timestamps. */
export const SEED_CLAIMS = {
  iss: '',
  sub: SEED_USER_ID,
  nbf: 1497934977,
  exp: 1497938577,
  iat: 1497934977,
  jti: '1234567',
  typ: 'authtoken',
} as const;
/** Users in the database; sessions are spread over them. */
export const USER_COUNT = 1000;

export const JWT_ALGORITHMS = ['HS256', 'ES256', 'EdDSA', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** The user's data every authenticated request reads and answers. */
export interface BenchUser {
  id: string;
  email: string;
  name: string;
}

export function benchUserId(index: number): string {
  return index === 0 ? SEED_USER_ID : `user-${String(index)}`;
}

function benchUser(index: number): BenchUser {
  const id = benchUserId(index);
  return { id, email: `${id}@example.com`, name: `Bench User ${String(index)}` };
}

/**
 * The seed's claims, valid now: the timestamps keep their 10 digits and the other values are the seed's, so
 * the token is exactly as long as the seed's (only the user varies, `abc123` or `user-N`).
 */
export function liveClaims(sub: string = SEED_USER_ID, now: number = Date.now()): Record<string, unknown> {
  const seconds = Math.floor(now / 1000);
  return { ...SEED_CLAIMS, sub, nbf: seconds - 60, iat: seconds - 60, exp: seconds + 3600 };
}

export interface JwtKeys {
  alg: JwtAlgorithm;
  sign: CryptoKey | Uint8Array;
  verify: CryptoKey | Uint8Array;
}

/** A key (pair) for `alg`: 32 random bytes for HS256, a fresh pair otherwise (RSA 2048, P-256, Ed25519). */
export async function jwtKeys(alg: JwtAlgorithm): Promise<JwtKeys> {
  if (alg === 'HS256') {
    // Imported once, as a site keeps it: a raw secret would be imported again on every call.
    const secret = await crypto.subtle.importKey(
      'raw',
      randomBytes(32),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    return { alg, sign: secret, verify: secret };
  }
  const pair = await generateKeyPair(alg);
  return { alg, sign: pair.privateKey, verify: pair.publicKey };
}

/** The seed's claims signed with `keys`, header `{ alg, typ: 'JWT' }` as common libraries write it. */
export function signSeedJwt(keys: JwtKeys, claims: Record<string, unknown> = liveClaims()): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: keys.alg, typ: 'JWT' }).sign(keys.sign);
}

/** The users table: a SQLite file in a temporary folder, read by every scenario that loads the user. */
export interface UserDatabase {
  readonly dir: string;
  readonly file: string;
  readonly db: SqliteDatabase;
  readonly users: ReadonlyMap<string, BenchUser>;
  /** The user by id (a prepared statement on `db`), or `null`. */
  loadUser(id: string): BenchUser | null;
  close(): void;
}

export const USERS_TABLE = 'bench_users';

type BetterSqlite = typeof import('better-sqlite3');

/** Opens better-sqlite3 if installed (an optional peer of Cloakroom); `null` otherwise. */
export async function loadSqlite(): Promise<BetterSqlite | null> {
  const module = await importOptional<{ default: BetterSqlite }>('better-sqlite3');
  return module === null ? null : module.default;
}

export async function openUserDatabase(): Promise<UserDatabase> {
  const Database = await loadSqlite();
  if (Database === null) throw new Error(missingPackage('better-sqlite3'));
  const dir = mkdtempSync(join(tmpdir(), 'cloakroom-bench-'));
  const file = join(dir, 'bench.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE ${USERS_TABLE} (id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL)`);
  const insert = db.prepare(`INSERT INTO ${USERS_TABLE} (id, email, name) VALUES (@id, @email, @name)`);
  const users = new Map<string, BenchUser>();
  db.transaction(() => {
    for (let i = 0; i < USER_COUNT; i++) {
      const user = benchUser(i);
      insert.run(user);
      users.set(user.id, user);
    }
  })();
  const select: Statement<[string], BenchUser> = db.prepare(
    `SELECT id, email, name FROM ${USERS_TABLE} WHERE id = ?`,
  );
  return {
    dir,
    file,
    db,
    users,
    loadUser: (id) => select.get(id) ?? null,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The session signing key of this run (32 random bytes, as a site configures it). */
export const SESSION_KEY = randomBytes(32);

export function benchManager(
  store: SessionStore<BenchUser>,
  options: { signed?: boolean } = {},
): SessionManager<BenchUser> {
  return options.signed === false
    ? createSessionManager({ store, origin: ORIGIN, signed: false })
    : createSessionManager({ store, origin: ORIGIN, keys: [SESSION_KEY] });
}

/** Creates `count` sessions spread over the users (64 at a time); resolves to their signed tokens. */
export async function createBenchSessions(
  manager: SessionManager<BenchUser>,
  count: number,
): Promise<string[]> {
  const tokens: string[] = [];
  for (let start = 0; start < count; start += 64) {
    const chunk = Array.from({ length: Math.min(64, count - start) }, (_, offset) =>
      manager.create(benchUserId((start + offset) % USER_COUNT), {
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
        ip: '203.0.113.7',
      }),
    );
    for (const issued of await Promise.all(chunk)) tokens.push(issued.token);
  }
  return tokens;
}

/** The Redis URL of the run: REDIS_URL, else the local server. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** Host and port of a Redis URL, for the report (never its password). */
export function redisDisplay(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return 'unparsable REDIS_URL';
  }
}

/** A connected ioredis client with the store's recommended options, or an Error saying why not. */
export async function connectRedis(): Promise<Redis | Error> {
  const module = await importOptional<typeof import('ioredis')>('ioredis');
  if (module === null) return new Error(missingPackage('ioredis'));
  const { redisClientOptions } = await import('cloakroom/stores/redis');
  const client = new module.Redis(redisUrl(), { ...redisClientOptions(), lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) =>
        setTimeout(() => {
          reject(new Error('no answer within 3 s'));
        }, 3000).unref(),
      ),
    ]);
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    return new Error(`Redis at ${redisDisplay(redisUrl())} is not reachable (${(error as Error).message})`);
  }
}

/** Removes every key under `prefix` (SCAN MATCH + UNLINK). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}

/** A key prefix unique to one run (and process), so concurrent runs never share keys. */
export function runPrefix(): string {
  return `crbench:${randomBytes(6).toString('hex')}:`;
}
