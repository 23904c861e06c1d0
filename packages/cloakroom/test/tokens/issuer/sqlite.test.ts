// The SQLite issuer stores against the issuer-store conformance suite, on a file in WAL mode as the site
// opens it, with a second connection to the same file standing in for a second process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteClientStore, SqliteRefreshTokenStore } from '../../../src/tokens/issuer/stores/sqlite.js';
import { runIssuerStoreConformance } from './conformance.js';

function open(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

runIssuerStoreConformance('SQLite issuer stores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloakroom-tokens-'));
  const file = join(dir, 'cloakroom.db');
  const db = open(file);
  const second = open(file);
  return Promise.resolve({
    refresh: new SqliteRefreshTokenStore(db),
    clients: new SqliteClientStore(db),
    peer: new SqliteRefreshTokenStore(second),
    close: () => {
      second.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});
