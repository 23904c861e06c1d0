import type {
  ClientRecord,
  FamilyRevocationReason,
  RefreshFamilyRecord,
  RefreshTokenRecord,
} from '../types.js';

// Rows of the issuer's SQL tables (SQLite and PostgreSQL share the schema), as the drivers return them once
// PostgreSQL's bigint columns are turned into numbers.

export interface FamilyRow {
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

export interface TokenRow {
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

export interface ClientRow {
  id: string;
  secret_hash: string;
  scopes: string;
  audiences: string;
  resources: string;
  created_at: number;
}

/** Scopes, audiences and resources are stored space-separated (none may contain a space). */
export const toClient = (row: ClientRow): ClientRecord => ({
  id: row.id,
  secretHash: row.secret_hash,
  scopes: row.scopes === '' ? [] : row.scopes.split(' '),
  audiences: row.audiences === '' ? [] : row.audiences.split(' '),
  resources: row.resources === '' ? [] : row.resources.split(' '),
  createdAt: row.created_at,
});
