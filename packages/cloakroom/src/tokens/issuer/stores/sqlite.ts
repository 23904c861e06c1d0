import type { Database, Statement } from 'better-sqlite3';
import { settle } from '../../../lib/sqlite/settle.js';
import { applySqliteComponent, type SqliteMigrationComponent } from '../../../lib/sqlite/registry.js';
import { ClientExistsError } from '../errors.js';
import { toClient, toFamily, toToken, type ClientRow, type FamilyRow, type TokenRow } from './rows.js';
import type {
  ClientRecord,
  ClientStore,
  FamilyRevocationReason,
  FamilySelector,
  RefreshFamilyRecord,
  RefreshTokenRecord,
  RefreshTokenStore,
} from '../types.js';

/**
 * The issuer's tables in a SQLite database (the site's own, typically). Their own names
 * (`cloakroom_refresh_*`, `cloakroom_clients`), created if missing. The foreign key documents the relation;
 * sweeping deletes a family's tokens itself, so it does not depend on `PRAGMA foreign_keys` being on.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cloakroom_refresh_families (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    audience TEXT NOT NULL,
    session_id TEXT,
    created_at INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoked_reason TEXT
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cloakroom_refresh_families_user ON cloakroom_refresh_families (user_id);
  CREATE INDEX IF NOT EXISTS cloakroom_refresh_families_session ON cloakroom_refresh_families (session_id);
  CREATE INDEX IF NOT EXISTS cloakroom_refresh_families_expiry
    ON cloakroom_refresh_families (absolute_expires_at);
  CREATE TABLE IF NOT EXISTS cloakroom_refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL REFERENCES cloakroom_refresh_families (id) ON DELETE CASCADE,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cloakroom_refresh_tokens_family ON cloakroom_refresh_tokens (family_id);
  CREATE TABLE IF NOT EXISTS cloakroom_clients (
    id TEXT PRIMARY KEY NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    audiences TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/** The issuer's tables as a component of the site database's `SqliteMigrations`. */
export const SQLITE_TOKEN_MIGRATIONS: SqliteMigrationComponent = {
  component: 'app-tokens',
  sql: SCHEMA,
  // Added after the table shipped; clients registered before serve none (no token exchange).
  columns: [{ table: 'cloakroom_clients', name: 'resources', definition: "TEXT NOT NULL DEFAULT ''" }],
};

/** Creates the issuer's tables if they are missing (idempotent; the site and the CLI both call it). */
export function migrateSqliteTokens(db: Database): void {
  applySqliteComponent(db, SQLITE_TOKEN_MIGRATIONS);
}

const tokenParams = (token: RefreshTokenRecord) => ({
  id: token.id,
  familyId: token.familyId,
  secretHash: Buffer.from(token.secretHash),
  createdAt: token.createdAt,
  expiresAt: token.expiresAt,
});

const INSERT_TOKEN = `INSERT INTO cloakroom_refresh_tokens (id, family_id, secret_hash, created_at, expires_at)
  VALUES (@id, @familyId, @secretHash, @createdAt, @expiresAt)`;

/**
 * Refresh-token families in SQLite (better-sqlite3); rotation is one immediate transaction, so a token can
 * be used only once, across processes sharing the file too. Creates its tables if missing.
 *
 * @example
 * ```ts
 * const db = new Database('data/cloakroom.db');
 * const refresh = new SqliteRefreshTokenStore(db);
 * const clients = new SqliteClientStore(db);
 * ```
 */
export class SqliteRefreshTokenStore implements RefreshTokenStore {
  readonly #db: Database;
  readonly #insertFamily: Statement;
  readonly #insertToken: Statement;
  readonly #find: Statement;
  readonly #markUsed: Statement;
  readonly #revoke: Record<'session' | 'user' | 'userExcept' | 'family' | 'client', Statement>;
  readonly #deleteExpiredTokens: Statement;
  readonly #deleteExpired: Statement;

  constructor(db: Database) {
    migrateSqliteTokens(db);
    this.#db = db;
    this.#insertFamily = db.prepare(`
      INSERT INTO cloakroom_refresh_families
        (id, user_id, client_id, scope, audience, session_id, created_at, absolute_expires_at)
      VALUES (@id, @userId, @clientId, @scope, @audience, @sessionId, @createdAt, @absoluteExpiresAt)`);
    this.#insertToken = db.prepare(INSERT_TOKEN);
    this.#find = db.prepare(`
      SELECT t.id, t.family_id, t.secret_hash, t.created_at, t.expires_at, t.used_at,
        f.user_id, f.client_id, f.scope, f.audience, f.session_id, f.created_at AS family_created_at,
        f.absolute_expires_at, f.revoked_at, f.revoked_reason
      FROM cloakroom_refresh_tokens t JOIN cloakroom_refresh_families f ON f.id = t.family_id
      WHERE t.id = ?`);
    this.#markUsed = db.prepare(
      'UPDATE cloakroom_refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL',
    );
    const revoke = (where: string) =>
      db.prepare(
        `UPDATE cloakroom_refresh_families SET revoked_at = @now, revoked_reason = @reason
         WHERE ${where} AND revoked_at IS NULL`,
      );
    this.#revoke = {
      session: revoke('session_id = @sessionId'),
      user: revoke('user_id = @userId'),
      userExcept: revoke('user_id = @userId AND (session_id IS NULL OR session_id <> @exceptSessionId)'),
      family: revoke('id = @familyId'),
      // Unindexed: revoking a client's families is rare (removing the client), a scan is fine.
      client: revoke('client_id = @clientId'),
    };
    this.#deleteExpiredTokens = db.prepare(`
      DELETE FROM cloakroom_refresh_tokens WHERE family_id IN
        (SELECT id FROM cloakroom_refresh_families WHERE absolute_expires_at <= ?)`);
    this.#deleteExpired = db.prepare('DELETE FROM cloakroom_refresh_families WHERE absolute_expires_at <= ?');
  }

  createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    return settle(() => {
      this.#db.transaction(() => {
        this.#insertFamily.run({
          id: family.id,
          userId: family.userId,
          clientId: family.clientId,
          scope: family.scope,
          audience: family.audience,
          sessionId: family.sessionId,
          createdAt: family.createdAt,
          absoluteExpiresAt: family.absoluteExpiresAt,
        });
        this.#insertToken.run(tokenParams(first));
      })();
    });
  }

  find(tokenId: string): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    return settle(() => {
      const row = this.#find.get(tokenId) as
        (TokenRow & Omit<FamilyRow, 'id' | 'created_at'> & { family_created_at: number }) | undefined;
      if (row === undefined) return null;
      return {
        token: toToken(row),
        family: toFamily({ ...row, id: row.family_id, created_at: row.family_created_at }),
      };
    });
  }

  rotate(usedId: string, now: number, next: RefreshTokenRecord): Promise<boolean> {
    return settle(() =>
      this.#db
        .transaction(() => {
          if (this.#markUsed.run(now, usedId).changes !== 1) return false;
          this.#insertToken.run(tokenParams(next));
          return true;
        })
        .immediate(),
    );
  }

  revoke(selector: FamilySelector, reason: FamilyRevocationReason, now: number): Promise<number> {
    return settle(() => {
      const base = { now, reason };
      if ('familyId' in selector) return this.#revoke.family.run({ ...base, ...selector }).changes;
      if ('sessionId' in selector) return this.#revoke.session.run({ ...base, ...selector }).changes;
      if ('clientId' in selector) return this.#revoke.client.run({ ...base, ...selector }).changes;
      if (selector.exceptSessionId === undefined) {
        return this.#revoke.user.run({ ...base, userId: selector.userId }).changes;
      }
      return this.#revoke.userExcept.run({ ...base, ...selector }).changes;
    });
  }

  deleteExpired(before: number): Promise<number> {
    return settle(() =>
      this.#db.transaction(() => {
        this.#deleteExpiredTokens.run(before);
        return this.#deleteExpired.run(before).changes;
      })(),
    );
  }
}

/** Registered service clients in SQLite (better-sqlite3). Creates its tables if missing. */
export class SqliteClientStore implements ClientStore {
  readonly #insert: Statement;
  readonly #find: Statement;
  readonly #list: Statement;
  readonly #remove: Statement;

  constructor(db: Database) {
    migrateSqliteTokens(db);
    this.#insert = db.prepare(
      `INSERT INTO cloakroom_clients (id, secret_hash, scopes, audiences, resources, created_at)
       VALUES (@id, @secretHash, @scopes, @audiences, @resources, @createdAt)`,
    );
    this.#find = db.prepare('SELECT * FROM cloakroom_clients WHERE id = ?');
    this.#list = db.prepare('SELECT * FROM cloakroom_clients ORDER BY id');
    this.#remove = db.prepare('DELETE FROM cloakroom_clients WHERE id = ?');
  }

  add(client: ClientRecord): Promise<void> {
    return settle(() => {
      try {
        this.#insert.run({
          id: client.id,
          secretHash: client.secretHash,
          scopes: client.scopes.join(' '),
          audiences: client.audiences.join(' '),
          resources: client.resources.join(' '),
          createdAt: client.createdAt,
        });
      } catch (error) {
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new ClientExistsError(client.id);
        }
        throw error;
      }
    });
  }

  find(id: string): Promise<ClientRecord | null> {
    return settle(() => {
      const row = this.#find.get(id) as ClientRow | undefined;
      return row === undefined ? null : toClient(row);
    });
  }

  list(): Promise<ClientRecord[]> {
    return settle(() => (this.#list.all() as ClientRow[]).map(toClient));
  }

  remove(id: string): Promise<boolean> {
    return settle(() => this.#remove.run(id).changes > 0);
  }
}
