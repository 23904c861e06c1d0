import type { Database } from 'better-sqlite3';
import type { Pool } from 'pg';
import type { Clock } from 'cloakroom';
import { Passkeys, type PasskeyChallengeStore } from 'cloakroom/accounts';
import { PostgresPasskeyStore } from 'cloakroom/accounts/postgres';
import { SqlitePasskeyStore } from 'cloakroom/accounts/sqlite';
import type { AppConfig } from './config.js';

/**
 * The site's passkeys: records beside the users (SQLite or PostgreSQL, whichever holds them; the tables come
 * with the site's migrations), challenges in the federation state store (with the sessions: SQLite,
 * PostgreSQL or Redis), which has the single-use `take` they need. RP ID and origin: `CLOAKROOM_ORIGIN`.
 */
export function sitePasskeys(
  config: AppConfig,
  backends: { db: Database | null; pool: Pool | null; federationState: PasskeyChallengeStore },
  clock: Clock | undefined,
): Passkeys {
  const store =
    backends.db !== null
      ? new SqlitePasskeyStore(backends.db)
      : backends.pool !== null
        ? new PostgresPasskeyStore(backends.pool)
        : null;
  if (store === null) throw new TypeError('passkeys need the SQLite database or the PostgreSQL pool');
  return new Passkeys({
    origin: config.origin,
    rpName: 'Cloakroom',
    store,
    challenges: backends.federationState,
    ...(clock === undefined ? {} : { clock }),
  });
}
