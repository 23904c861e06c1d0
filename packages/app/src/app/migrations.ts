import {
  POSTGRES_ACCOUNT_MIGRATIONS,
  POSTGRES_IDENTITY_MIGRATIONS,
  POSTGRES_MFA_MIGRATIONS,
  POSTGRES_PASSKEY_MIGRATIONS,
} from 'cloakroom/accounts/postgres';
import {
  SQLITE_ACCOUNT_MIGRATIONS,
  SQLITE_IDENTITY_MIGRATIONS,
  SQLITE_MFA_MIGRATIONS,
  SQLITE_PASSKEY_MIGRATIONS,
} from 'cloakroom/accounts/sqlite';
import {
  POSTGRES_FEDERATION_STATE_MIGRATIONS,
  SQLITE_FEDERATION_STATE_MIGRATIONS,
} from 'cloakroom/federation';
import { PostgresMigrations } from 'cloakroom/stores/postgres';
import { SqliteMigrations } from 'cloakroom/stores/sqlite';
import { POSTGRES_NOTES_MIGRATIONS } from './notes-postgres.js';
import { SQLITE_NOTES_MIGRATIONS } from './notes.js';
import { POSTGRES_TOKEN_MIGRATIONS } from 'cloakroom/tokens/issuer/postgres';
import { POSTGRES_MIGRATE_MIGRATIONS } from 'cloakroom/migrate/postgres';
import { SQLITE_TOKEN_MIGRATIONS } from 'cloakroom/tokens/issuer/sqlite';
import { POSTGRES_ACTIVITY_MIGRATIONS } from './activity/postgres.js';
import { SQLITE_ACTIVITY_MIGRATIONS } from './activity/sqlite.js';

/**
 * Every table the site keeps in PostgreSQL besides the sessions (`PostgresStore.create` migrates those), in
 * dependency order: the accounts first, since notes and identity links refer to `users`. One `migrate(pool)`
 * at start-up applies what is pending, under one advisory lock.
 */
export function sitePostgresMigrations(): PostgresMigrations {
  return new PostgresMigrations().add(
    POSTGRES_ACCOUNT_MIGRATIONS,
    POSTGRES_NOTES_MIGRATIONS,
    POSTGRES_TOKEN_MIGRATIONS,
    POSTGRES_IDENTITY_MIGRATIONS,
    POSTGRES_FEDERATION_STATE_MIGRATIONS,
    POSTGRES_MIGRATE_MIGRATIONS,
    POSTGRES_MFA_MIGRATIONS,
    POSTGRES_ACTIVITY_MIGRATIONS,
    POSTGRES_PASSKEY_MIGRATIONS,
  );
}

/** The same tables in the site's SQLite database, in the same order; `migrate(db)` runs on every open. */
export function siteSqliteMigrations(): SqliteMigrations {
  return new SqliteMigrations().add(
    SQLITE_ACCOUNT_MIGRATIONS,
    SQLITE_NOTES_MIGRATIONS,
    SQLITE_TOKEN_MIGRATIONS,
    SQLITE_IDENTITY_MIGRATIONS,
    SQLITE_FEDERATION_STATE_MIGRATIONS,
    SQLITE_MFA_MIGRATIONS,
    SQLITE_ACTIVITY_MIGRATIONS,
    SQLITE_PASSKEY_MIGRATIONS,
  );
}
