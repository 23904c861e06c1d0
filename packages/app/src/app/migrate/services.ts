import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { UserStore } from 'cloakroom/accounts';
import {
  createMigration,
  expressSessionSource,
  ironSessionSource,
  jwtSource,
  type ExpressSessionStoreLike,
  type LegacySource,
  type Migration,
  type MigrationStore,
} from 'cloakroom/migrate';
import { SqliteMigrationStore } from 'cloakroom/migrate/sqlite';
import { RedisMigrationStore } from 'cloakroom/migrate/redis';
import { PostgresMigrationStore } from 'cloakroom/migrate/postgres';
import type { Pool } from 'pg';
import { redisClientOptions, type RedisClient } from 'cloakroom/stores/redis';
import type { AppUser } from '../http/env.js';
import { importBackend } from '../optional.js';
import { jwtOptions, type MigrateConfig } from './config-file.js';

/**
 * Where the site keeps the migration's claims and counters: in Redis with the sessions (`CLOAKROOM_STORE`),
 * else in the site's database (PostgreSQL, whose tables the site's migrations create, or SQLite).
 */
export function siteMigrationStore(backends: {
  db: Database | null;
  redis: RedisClient | null;
  pool: Pool | null;
}): MigrationStore {
  if (backends.redis !== null) return new RedisMigrationStore(backends.redis);
  if (backends.pool !== null) return new PostgresMigrationStore(backends.pool);
  if (backends.db !== null) return new SqliteMigrationStore(backends.db);
  throw new Error('CLOAKROOM_MIGRATE_CONFIG: the site has no database to keep the migration records in');
}

/** The migration layer of the reference site: legacy credentials name an existing account by email. */
export async function createSiteMigration(options: {
  config: MigrateConfig;
  users: UserStore;
  store: MigrationStore;
  log: Logger;
  closers: (() => Promise<void> | void)[];
}): Promise<Migration<AppUser>> {
  const sources: LegacySource[] = [];
  for (const source of options.config.sources) {
    if (source.kind === 'jwt') sources.push(jwtSource(jwtOptions(source)));
    else if (source.kind === 'iron-session') {
      sources.push(
        ironSessionSource({
          cookie: source.cookie,
          passwords: source.passwords,
          userField: source.emailField,
        }),
      );
    } else {
      const client = await legacyRedis(source.redisUrl, options.log);
      options.closers.push(() => {
        client.disconnect();
      });
      sources.push(
        expressSessionSource({
          cookie: source.cookie,
          secrets: source.secrets,
          store: connectRedisFormat(client, source.prefix),
          userField: source.emailField,
        }),
      );
    }
  }
  return createMigration<AppUser>({
    sources,
    store: options.store,
    ...(options.config.acceptUntil === undefined ? {} : { acceptUntil: options.config.acceptUntil }),
    findUser: async ({ subject }) => {
      const user = await options.users.findByEmail(subject.trim().toLowerCase());
      return user === null ? null : { userId: user.id, user: { id: user.id, email: user.email } };
    },
    onError: (error, operation) => {
      options.log.warn(
        { err: error instanceof Error ? error.message : 'unknown', operation },
        'migration step failed',
      );
    },
  });
}

async function legacyRedis(url: string, log: Logger): Promise<RedisClient> {
  const { Redis } = await importBackend<typeof import('ioredis')>(
    'ioredis',
    'CLOAKROOM_MIGRATE_CONFIG (express-session)',
  );
  const client = new Redis(url, {
    ...redisClientOptions({ maxReconnectDelayMs: 1000 }),
    enableOfflineQueue: true,
  });
  client.on('error', (error: Error) => {
    log.warn({ err: error.message }, 'legacy Redis connection error');
  });
  return client;
}

/** The legacy sessions as connect-redis keeps them: `prefix + sid` holding the session as JSON. */
function connectRedisFormat(client: RedisClient, prefix: string): ExpressSessionStoreLike {
  return {
    get(sid, callback) {
      client.get(prefix + sid).then(
        (text) => {
          if (text === null) {
            callback(null, null);
            return;
          }
          let session: unknown;
          try {
            session = JSON.parse(text);
          } catch {
            session = null;
          }
          callback(null, session);
        },
        (error: unknown) => {
          callback(error);
        },
      );
    },
    destroy(sid, callback) {
      client.del(prefix + sid).then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
    },
  };
}
