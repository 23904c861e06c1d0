import type { PasskeyRecord } from '../../passkeys/types.js';

export interface PasskeyRow {
  id: string;
  user_id: string;
  public_key: string;
  counter: number | string;
  transports: string;
  backup_eligible: number | boolean;
  backed_up: number | boolean;
  name: string;
  created_at: number | string;
  last_used_at: number | string | null;
}

export const PASSKEY_COLUMNS =
  'id, user_id, public_key, counter, transports, backup_eligible, backed_up, name, created_at, last_used_at';

/** A row of `cloakroom_passkeys` as SQLite (integers) or PostgreSQL (booleans, bigint strings) returns it. */
export const toPasskey = (row: PasskeyRow): PasskeyRecord => ({
  id: row.id,
  userId: row.user_id,
  publicKey: row.public_key,
  counter: Number(row.counter),
  transports: parseTransports(row.transports),
  backupEligible: row.backup_eligible === 1 || row.backup_eligible === true,
  backedUp: row.backed_up === 1 || row.backed_up === true,
  name: row.name,
  createdAt: Number(row.created_at),
  lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
});

function parseTransports(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}
