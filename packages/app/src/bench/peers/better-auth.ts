/**
 * better-auth as a site would set it up, for the sizes and the HTTP scenarios: email and password on a
 * better-sqlite3 database (its Kysely dialect, tables made by its own migrations), optionally with its
 * cookie cache or with Redis as its secondary storage. A user signs up through its API; the Cookie header
 * it sets is what the load generator sends.
 */
import type { Redis } from 'ioredis';
import { importOptional, missingPackage } from '../optional.js';
import { loadSqlite, ORIGIN } from '../world.js';

export type BetterAuthVariant = 'sqlite' | 'cookie-cache' | 'redis';

/** The slice of a better-auth instance the bench uses. */
export interface BetterAuthSite {
  getSession(headers: Headers): Promise<{ user: { id: string; email: string; name: string } } | null>;
  /** The Cookie header that signs the bench user in. */
  cookie: string;
  close(): void;
}

interface BetterAuthModule {
  betterAuth(options: Record<string, unknown>): {
    options: Record<string, unknown>;
    api: {
      signUpEmail(input: {
        body: { email: string; password: string; name: string };
        returnHeaders: true;
      }): Promise<{ headers: Headers }>;
      getSession(input: { headers: Headers }): Promise<{
        user: { id: string; email: string; name: string };
      } | null>;
    };
  };
}

interface MigrationModule {
  getMigrations(options: Record<string, unknown>): Promise<{ runMigrations: () => Promise<void> }>;
}

/** The Cookie header (`name=value; …`) from a response's Set-Cookie headers, skipping deletions. */
export function cookieHeaderOf(headers: Headers): string {
  return headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0]?.trim() ?? '')
    .filter((pair) => pair.includes('=') && !pair.endsWith('='))
    .join('; ');
}

/**
 * A better-auth site on a SQLite file at `file` (created and migrated), signed up once; `redis` is needed
 * for the `redis` variant (keys under `prefix`).
 */
export async function createBetterAuthSite(
  variant: BetterAuthVariant,
  file: string,
  redis: Redis | null = null,
  prefix = 'crbench:better-auth:',
): Promise<BetterAuthSite> {
  const module = await importOptional<BetterAuthModule>('better-auth');
  const migrations = await importOptional<MigrationModule>('better-auth/db/migration');
  if (module === null || migrations === null) throw new Error(missingPackage('better-auth'));
  const Database = await loadSqlite();
  if (Database === null) throw new Error(missingPackage('better-sqlite3'));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const options: Record<string, unknown> = {
    database: db,
    baseURL: ORIGIN,
    secret: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64'),
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    logger: { disabled: true },
    // The bench reads sessions; its throttling would answer 429 under load.
    rateLimit: { enabled: false },
  };
  if (variant === 'cookie-cache') {
    options.session = { cookieCache: { enabled: true, maxAge: 5 * 60 } };
  }
  if (variant === 'redis') {
    if (redis === null) throw new Error('the Redis secondary storage needs a Redis client');
    const client = redis;
    options.secondaryStorage = {
      get: (key: string) => client.get(prefix + key),
      set: async (key: string, value: string, ttl?: number) => {
        if (ttl !== undefined && ttl > 0) await client.set(prefix + key, value, 'EX', ttl);
        else await client.set(prefix + key, value);
      },
      delete: async (key: string) => {
        await client.del(prefix + key);
      },
    };
  }
  const auth = module.betterAuth(options);
  const { runMigrations } = await migrations.getMigrations(auth.options);
  await runMigrations();
  const { headers } = await auth.api.signUpEmail({
    body: { email: 'abc123@example.com', password: 'correct horse battery staple', name: 'Bench User 0' },
    returnHeaders: true,
  });
  const cookie = cookieHeaderOf(headers);
  if (cookie === '') throw new Error('better-auth set no session cookie at sign-up');
  return {
    getSession: (requestHeaders) => auth.api.getSession({ headers: requestHeaders }),
    cookie,
    close: () => {
      db.close();
    },
  };
}
