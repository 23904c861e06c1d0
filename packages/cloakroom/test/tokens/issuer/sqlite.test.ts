// The SQLite issuer stores against the issuer-store conformance suite, on a file in WAL mode as the site
// opens it, with a second connection to the same file standing in for a second process.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { test } from 'node:test';
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

test('SQLite upgrade: a client registered before `resources` existed keeps working, serving no audience', async () => {
  const db = new Database(':memory:');
  // The table as it shipped before, with a row written by that code.
  db.exec(`CREATE TABLE cloakroom_clients (id TEXT PRIMARY KEY NOT NULL, secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL, audiences TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID`);
  db.exec("INSERT INTO cloakroom_clients VALUES ('old', 'sha256:x', 'a:read', 'https://api.example', 1)");
  const clients = new SqliteClientStore(db);
  assert.deepEqual(await clients.find('old'), {
    id: 'old',
    secretHash: 'sha256:x',
    scopes: ['a:read'],
    audiences: ['https://api.example'],
    resources: [],
    createdAt: 1,
  });
  db.close();
});
