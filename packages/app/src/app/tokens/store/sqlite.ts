import type { Database, Statement } from 'better-sqlite3';
import { settle, type SqliteMigrationComponent } from 'cloakroom/stores/sqlite';
import {
  ClientExistsError,
  type ClientRecord,
  type ClientStore,
  type FamilyRevocationReason,
  type FamilySelector,
  type RefreshFamilyRecord,
  type RefreshTokenRecord,
  type RefreshTokenStore,
} from './types.js';

/**
 * The issuer's tables in the site's SQLite database. Their own names (`cloakroom_refresh_*`,
 * `cloakroom_clients`), created if missing; a foreign key removes a family's tokens with it.
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
export const SQLITE_TOKEN_MIGRATIONS: SqliteMigrationComponent = { component: 'app-tokens', sql: SCHEMA };

/** Creates the issuer's tables if they are missing (idempotent; the site and the CLI both call it). */
export function migrateSqliteTokens(db: Database): void {
  db.exec(SQLITE_TOKEN_MIGRATIONS.sql);
}

interface FamilyRow {
  id: string;
  user_id: string;
  client_id: string;
  scope: string;
  audience: string;
  session_id: string | null;
  created_at: number;
  absolute_expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

interface TokenRow {
  id: string;
  family_id: string;
  secret_hash: Buffer;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export const toFamily = (row: FamilyRow): RefreshFamilyRecord => ({
  id: row.id,
  userId: row.user_id,
  clientId: row.client_id,
  scope: row.scope,
  audience: row.audience,
  sessionId: row.session_id,
  createdAt: row.created_at,
  absoluteExpiresAt: row.absolute_expires_at,
  revokedAt: row.revoked_at,
  revokedReason: row.revoked_reason as FamilyRevocationReason | null,
});

export const toToken = (row: TokenRow): RefreshTokenRecord => ({
  id: row.id,
  familyId: row.family_id,
  secretHash: new Uint8Array(row.secret_hash),
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
});

const tokenParams = (token: RefreshTokenRecord) => ({
  id: token.id,
  familyId: token.familyId,
  secretHash: Buffer.from(token.secretHash),
  createdAt: token.createdAt,
  expiresAt: token.expiresAt,
});

const INSERT_TOKEN = `INSERT INTO cloakroom_refresh_tokens (id, family_id, secret_hash, created_at, expires_at)
  VALUES (@id, @familyId, @secretHash, @createdAt, @expiresAt)`;

/** Refresh-token families in SQLite; rotation is one transaction, so a token can be used only once. */
export class SqliteRefreshTokenStore implements RefreshTokenStore {
  readonly #db: Database;
  readonly #insertFamily: Statement;
  readonly #insertToken: Statement;
  readonly #find: Statement;
  readonly #markUsed: Statement;
  readonly #revoke: Record<'session' | 'user' | 'userExcept' | 'family', Statement>;
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
    };
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
      if (selector.exceptSessionId === undefined) {
        return this.#revoke.user.run({ ...base, userId: selector.userId }).changes;
      }
      return this.#revoke.userExcept.run({ ...base, ...selector }).changes;
    });
  }

  deleteExpired(before: number): Promise<number> {
    return settle(() => this.#deleteExpired.run(before).changes);
  }
}

interface ClientRow {
  id: string;
  secret_hash: string;
  scopes: string;
  audiences: string;
  created_at: number;
}

/** Scopes and audiences are stored space-separated (neither may contain a space). */
export const toClient = (row: ClientRow): ClientRecord => ({
  id: row.id,
  secretHash: row.secret_hash,
  scopes: row.scopes === '' ? [] : row.scopes.split(' '),
  audiences: row.audiences === '' ? [] : row.audiences.split(' '),
  createdAt: row.created_at,
});

/** Registered service clients in SQLite. */
export class SqliteClientStore implements ClientStore {
  readonly #insert: Statement;
  readonly #find: Statement;
  readonly #list: Statement;
  readonly #remove: Statement;

  constructor(db: Database) {
    migrateSqliteTokens(db);
    this.#insert = db.prepare(
      `INSERT INTO cloakroom_clients (id, secret_hash, scopes, audiences, created_at)
       VALUES (@id, @secretHash, @scopes, @audiences, @createdAt)`,
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
