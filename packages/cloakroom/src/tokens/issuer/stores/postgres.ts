import type { Pool } from 'pg';
import { runMigrations } from '../../../lib/postgres/migrate.js';
import type { PostgresMigrationComponent } from '../../../lib/postgres/registry.js';
import type { Migration } from '../../../lib/postgres/sql.js';
import { ClientExistsError } from '../errors.js';
import { toClient, toFamily, toToken } from './rows.js';
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
 * Creates or upgrades the issuer's tables in PostgreSQL (idempotent; resolves to the versions it applied),
 * as their own migration component beside the account and session components. The component keeps the
 * name it had when these tables belonged to the reference site (`app-tokens`): renaming it would rerun
 * version 1 on databases that already have the tables. Times are bigint milliseconds.
 */
export const POSTGRES_TOKEN_MIGRATIONS: PostgresMigrationComponent = {
  component: 'app-tokens',
  migrations: () => TOKEN_MIGRATIONS,
};

/** Applies the issuer's pending migrations (the CLI, which opens only these tables). */
export function migratePostgresTokens(pool: Pool): Promise<number[]> {
  const { component, migrations } = POSTGRES_TOKEN_MIGRATIONS;
  return runMigrations(pool, { component, migrations: migrations(null) });
}

const TOKEN_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'refresh-token families and tokens, registered clients',
    sql: `
          CREATE TABLE cloakroom_refresh_families (
            id text PRIMARY KEY,
            user_id text NOT NULL,
            client_id text NOT NULL,
            scope text NOT NULL,
            audience text NOT NULL,
            session_id text,
            created_at bigint NOT NULL,
            absolute_expires_at bigint NOT NULL,
            revoked_at bigint,
            revoked_reason text
          );
          CREATE INDEX cloakroom_refresh_families_user ON cloakroom_refresh_families (user_id);
          CREATE INDEX cloakroom_refresh_families_session ON cloakroom_refresh_families (session_id);
          CREATE INDEX cloakroom_refresh_families_expiry ON cloakroom_refresh_families (absolute_expires_at);
          CREATE TABLE cloakroom_refresh_tokens (
            id text PRIMARY KEY,
            family_id text NOT NULL REFERENCES cloakroom_refresh_families (id) ON DELETE CASCADE,
            secret_hash bytea NOT NULL,
            created_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            used_at bigint
          );
          CREATE INDEX cloakroom_refresh_tokens_family ON cloakroom_refresh_tokens (family_id);
          CREATE TABLE cloakroom_clients (
            id text PRIMARY KEY,
            secret_hash text NOT NULL,
            scopes text NOT NULL,
            audiences text NOT NULL,
            created_at bigint NOT NULL
          );
        `,
  },
  {
    version: 2,
    description: 'registered clients: the audiences each serves (token exchange subject tokens)',
    // Clients registered before have none, so they can no longer use token exchange until given some.
    sql: `ALTER TABLE cloakroom_clients ADD COLUMN resources text NOT NULL DEFAULT ''`,
  },
];

const tokenValues = (token: RefreshTokenRecord) => [
  token.id,
  token.familyId,
  Buffer.from(token.secretHash),
  token.createdAt,
  token.expiresAt,
];

/**
 * Refresh-token families in PostgreSQL (pg); rotation is one statement, so a token can be used only once.
 * Run {@link migratePostgresTokens} first.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migratePostgresTokens(pool);
 * const refresh = new PostgresRefreshTokenStore(pool);
 * const clients = new PostgresClientStore(pool);
 * ```
 */
export class PostgresRefreshTokenStore implements RefreshTokenStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    // One statement: the family and its first token exist together or not at all.
    await this.#pool.query(
      `WITH family AS (
         INSERT INTO cloakroom_refresh_families
           (id, user_id, client_id, scope, audience, session_id, created_at, absolute_expires_at)
         VALUES ($6, $7, $8, $9, $10, $11, $12, $13) RETURNING id)
       INSERT INTO cloakroom_refresh_tokens (id, family_id, secret_hash, created_at, expires_at)
       SELECT $1, family.id, $3, $4, $5 FROM family WHERE family.id = $2`,
      [
        ...tokenValues(first),
        family.id,
        family.userId,
        family.clientId,
        family.scope,
        family.audience,
        family.sessionId,
        family.createdAt,
        family.absoluteExpiresAt,
      ],
    );
  }

  async find(tokenId: string): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    const { rows } = await this.#pool.query<{
      id: string;
      family_id: string;
      secret_hash: Buffer;
      created_at: string;
      expires_at: string;
      used_at: string | null;
      user_id: string;
      client_id: string;
      scope: string;
      audience: string;
      session_id: string | null;
      family_created_at: string;
      absolute_expires_at: string;
      revoked_at: string | null;
      revoked_reason: string | null;
    }>(
      `SELECT t.id, t.family_id, t.secret_hash, t.created_at, t.expires_at, t.used_at,
         f.user_id, f.client_id, f.scope, f.audience, f.session_id, f.created_at AS family_created_at,
         f.absolute_expires_at, f.revoked_at, f.revoked_reason
       FROM cloakroom_refresh_tokens t JOIN cloakroom_refresh_families f ON f.id = t.family_id
       WHERE t.id = $1`,
      [tokenId],
    );
    const row = rows[0];
    if (row === undefined) return null;
    const number = (value: string | null) => (value === null ? null : Number(value));
    return {
      token: toToken({
        ...row,
        created_at: Number(row.created_at),
        expires_at: Number(row.expires_at),
        used_at: number(row.used_at),
      }),
      family: toFamily({
        ...row,
        id: row.family_id,
        created_at: Number(row.family_created_at),
        absolute_expires_at: Number(row.absolute_expires_at),
        revoked_at: number(row.revoked_at),
      }),
    };
  }

  async rotate(usedId: string, now: number, next: RefreshTokenRecord): Promise<boolean> {
    // The successor is inserted only if this statement is the one that marked the token used.
    const result = await this.#pool.query(
      `WITH used AS (
         UPDATE cloakroom_refresh_tokens SET used_at = $6 WHERE id = $7 AND used_at IS NULL RETURNING family_id)
       INSERT INTO cloakroom_refresh_tokens (id, family_id, secret_hash, created_at, expires_at)
       SELECT $1, $2, $3, $4, $5 FROM used WHERE used.family_id = $2`,
      [...tokenValues(next), now, usedId],
    );
    return result.rowCount === 1;
  }

  async revoke(selector: FamilySelector, reason: FamilyRevocationReason, now: number): Promise<number> {
    const set = 'UPDATE cloakroom_refresh_families SET revoked_at = $1, revoked_reason = $2';
    const live = 'AND revoked_at IS NULL';
    let result;
    if ('familyId' in selector) {
      result = await this.#pool.query(`${set} WHERE id = $3 ${live}`, [now, reason, selector.familyId]);
    } else if ('clientId' in selector) {
      // Unindexed: revoking a client's families is rare (removing the client), a scan is fine.
      result = await this.#pool.query(`${set} WHERE client_id = $3 ${live}`, [
        now,
        reason,
        selector.clientId,
      ]);
    } else if ('sessionId' in selector) {
      result = await this.#pool.query(`${set} WHERE session_id = $3 ${live}`, [
        now,
        reason,
        selector.sessionId,
      ]);
    } else if (selector.exceptSessionId === undefined) {
      result = await this.#pool.query(`${set} WHERE user_id = $3 ${live}`, [now, reason, selector.userId]);
    } else {
      result = await this.#pool.query(
        `${set} WHERE user_id = $3 AND session_id IS DISTINCT FROM $4 ${live}`,
        [now, reason, selector.userId, selector.exceptSessionId],
      );
    }
    return result.rowCount ?? 0;
  }

  async deleteExpired(before: number): Promise<number> {
    const result = await this.#pool.query(
      'DELETE FROM cloakroom_refresh_families WHERE absolute_expires_at <= $1',
      [before],
    );
    return result.rowCount ?? 0;
  }
}

/** Registered service clients in PostgreSQL (pg). Run {@link migratePostgresTokens} first. */
export class PostgresClientStore implements ClientStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async add(client: ClientRecord): Promise<void> {
    try {
      await this.#pool.query(
        `INSERT INTO cloakroom_clients (id, secret_hash, scopes, audiences, resources, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          client.id,
          client.secretHash,
          client.scopes.join(' '),
          client.audiences.join(' '),
          client.resources.join(' '),
          client.createdAt,
        ],
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === '23505') throw new ClientExistsError(client.id);
      throw error;
    }
  }

  async find(id: string): Promise<ClientRecord | null> {
    const { rows } = await this.#pool.query<ClientRow>('SELECT * FROM cloakroom_clients WHERE id = $1', [id]);
    return rows[0] === undefined ? null : toClient({ ...rows[0], created_at: Number(rows[0].created_at) });
  }

  async list(): Promise<ClientRecord[]> {
    const { rows } = await this.#pool.query<ClientRow>('SELECT * FROM cloakroom_clients ORDER BY id');
    return rows.map((row) => toClient({ ...row, created_at: Number(row.created_at) }));
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.#pool.query('DELETE FROM cloakroom_clients WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }
}

interface ClientRow {
  id: string;
  secret_hash: string;
  scopes: string;
  audiences: string;
  resources: string;
  created_at: string;
}
