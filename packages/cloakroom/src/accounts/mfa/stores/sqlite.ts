import type { Database, Statement } from 'better-sqlite3';
import { applySqliteComponent, type SqliteMigrationComponent } from '../../../lib/sqlite/registry.js';
import { settle } from '../../../lib/sqlite/settle.js';
import type { MfaStore, PendingSignInRecord, PendingSignInStore, TotpRecord } from '../types.js';

// Beside `users` (a user's second factors and pending sign-ins go with the user). Secrets are ciphertexts
// (TotpSecretBox), codes and tokens SHA-256 hashes.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cloakroom_totp (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT,
    pending_secret TEXT,
    last_step INTEGER,
    enabled_at INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS cloakroom_recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, hash)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS cloakroom_mfa_pending (
    hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amr TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cloakroom_mfa_pending_expiry ON cloakroom_mfa_pending (expires_at);
`;

/** The two-factor tables as a component of a database's `SqliteMigrations` (add it after the accounts). */
export const SQLITE_MFA_MIGRATIONS: SqliteMigrationComponent = { component: 'mfa', sql: SCHEMA };

/** Creates the two-factor tables (beside `users`) if they are missing. */
export function migrateSqliteMfa(db: Database): void {
  applySqliteComponent(db, SQLITE_MFA_MIGRATIONS);
}

interface TotpRow {
  user_id: string;
  secret: string | null;
  pending_secret: string | null;
  last_step: number | null;
  enabled_at: number | null;
}

/**
 * TOTP secrets (encrypted) and recovery codes (hashed) in SQLite, in the database of `users`.
 *
 * @example
 * ```ts
 * const twoFactor = new TwoFactor({ store: new SqliteMfaStore(db), pending: new SqlitePendingSignInStore(db), … });
 * ```
 */
export class SqliteMfaStore implements MfaStore {
  readonly #find: Statement;
  readonly #setPending: Statement;
  readonly #enable: Statement;
  readonly #accept: Statement;
  readonly #deleteTotp: Statement;
  readonly #deleteCodes: Statement;
  readonly #insertCode: Statement;
  readonly #listCodes: Statement;
  readonly #useCode: Statement;
  readonly #replace: (userId: string, hashes: readonly string[], now: number) => void;
  readonly #delete: (userId: string) => boolean;

  constructor(db: Database) {
    migrateSqliteMfa(db);
    this.#find = db.prepare(
      'SELECT user_id, secret, pending_secret, last_step, enabled_at FROM cloakroom_totp WHERE user_id = ?',
    );
    this.#setPending = db.prepare(
      'INSERT INTO cloakroom_totp (user_id, pending_secret) VALUES (?, ?) ' +
        'ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret',
    );
    // Compare-and-set, each in one statement: of two concurrent callers, one changes the row.
    this.#enable = db.prepare(
      'UPDATE cloakroom_totp SET secret = pending_secret, pending_secret = NULL, last_step = @step, ' +
        'enabled_at = @now WHERE user_id = @userId AND pending_secret = @pendingSecret',
    );
    this.#accept = db.prepare(
      'UPDATE cloakroom_totp SET last_step = @step WHERE user_id = @userId AND secret IS NOT NULL ' +
        'AND (last_step IS NULL OR last_step < @step)',
    );
    this.#deleteTotp = db.prepare('DELETE FROM cloakroom_totp WHERE user_id = ?');
    this.#deleteCodes = db.prepare('DELETE FROM cloakroom_recovery_codes WHERE user_id = ?');
    this.#insertCode = db.prepare(
      'INSERT INTO cloakroom_recovery_codes (user_id, hash, created_at) VALUES (?, ?, ?)',
    );
    this.#listCodes = db.prepare('SELECT hash FROM cloakroom_recovery_codes WHERE user_id = ?').pluck();
    this.#useCode = db.prepare('DELETE FROM cloakroom_recovery_codes WHERE user_id = ? AND hash = ?');
    this.#replace = db.transaction((userId: string, hashes: readonly string[], now: number) => {
      this.#deleteCodes.run(userId);
      for (const hash of hashes) this.#insertCode.run(userId, hash, now);
    });
    this.#delete = db.transaction((userId: string) => {
      this.#deleteCodes.run(userId);
      return this.#deleteTotp.run(userId).changes > 0;
    });
  }

  findTotp(userId: string): Promise<TotpRecord | null> {
    return settle(() => {
      const row = this.#find.get(userId) as TotpRow | undefined;
      return row === undefined
        ? null
        : {
            userId: row.user_id,
            secret: row.secret,
            pendingSecret: row.pending_secret,
            lastStep: row.last_step,
            enabledAt: row.enabled_at,
          };
    });
  }

  setPendingTotp(userId: string, pendingSecret: string): Promise<void> {
    return settle(() => {
      this.#setPending.run(userId, pendingSecret);
    });
  }

  enableTotp(userId: string, pendingSecret: string, step: number, now: number): Promise<boolean> {
    return settle(() => this.#enable.run({ userId, pendingSecret, step, now }).changes === 1);
  }

  acceptTotpStep(userId: string, step: number): Promise<boolean> {
    return settle(() => this.#accept.run({ userId, step }).changes === 1);
  }

  deleteTotp(userId: string): Promise<boolean> {
    return settle(() => this.#delete(userId));
  }

  replaceRecoveryCodes(userId: string, hashes: readonly string[], now: number): Promise<void> {
    return settle(() => {
      this.#replace(userId, hashes, now);
    });
  }

  listRecoveryCodes(userId: string): Promise<string[]> {
    return settle(() => this.#listCodes.all(userId) as string[]);
  }

  useRecoveryCode(userId: string, hash: string): Promise<boolean> {
    return settle(() => this.#useCode.run(userId, hash).changes === 1);
  }
}

interface PendingRow {
  hash: string;
  user_id: string;
  amr: string;
  created_at: number;
  expires_at: number;
}

const toPending = (row: PendingRow): PendingSignInRecord => ({
  hash: row.hash,
  userId: row.user_id,
  amr: JSON.parse(row.amr) as string[],
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

/** Pending sign-ins (tokens hashed) in SQLite, beside `users`. */
export class SqlitePendingSignInStore implements PendingSignInStore {
  readonly #insert: Statement;
  readonly #find: Statement;
  readonly #consume: Statement;
  readonly #deleteExpired: Statement;

  constructor(db: Database) {
    migrateSqliteMfa(db);
    const columns = 'hash, user_id, amr, created_at, expires_at';
    this.#insert = db.prepare(
      `INSERT INTO cloakroom_mfa_pending (${columns}) VALUES (@hash, @userId, @amr, @createdAt, @expiresAt)`,
    );
    this.#find = db.prepare(`SELECT ${columns} FROM cloakroom_mfa_pending WHERE hash = ?`);
    // One statement: of two concurrent uses, only one gets the row back.
    this.#consume = db.prepare(`DELETE FROM cloakroom_mfa_pending WHERE hash = ? RETURNING ${columns}`);
    this.#deleteExpired = db.prepare('DELETE FROM cloakroom_mfa_pending WHERE expires_at <= ?');
  }

  create(record: PendingSignInRecord): Promise<void> {
    return settle(() => {
      this.#insert.run({ ...record, amr: JSON.stringify(record.amr) });
    });
  }

  find(hash: string): Promise<PendingSignInRecord | null> {
    return settle(() => {
      const row = this.#find.get(hash) as PendingRow | undefined;
      return row === undefined ? null : toPending(row);
    });
  }

  consume(hash: string): Promise<PendingSignInRecord | null> {
    return settle(() => {
      const row = this.#consume.get(hash) as PendingRow | undefined;
      return row === undefined ? null : toPending(row);
    });
  }

  deleteExpired(before: number): Promise<number> {
    return settle(() => this.#deleteExpired.run(before).changes);
  }
}
