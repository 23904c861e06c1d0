import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { Accounts } from '../accounts/accounts.js';
import type { PasswordHasher } from '../accounts/password-hash.js';
import { ACCOUNT_USERS_JOIN, SqliteAttemptStore, SqliteUserStore } from '../accounts/stores/sqlite.js';
import type { ThrottleRule } from '../accounts/throttle.js';
import type { Clock } from '../clock.js';
import { SessionManager } from '../session/manager.js';
import { SqliteStore } from '../stores/sqlite/index.js';
import type { AppConfig } from './config.js';
import type { AppUser } from './http/env.js';
import { Notes } from './notes.js';

/** What the routes work with, built once per process. */
export interface AppServices {
  config: AppConfig;
  db: Database;
  sessions: SessionManager<AppUser>;
  accounts: Accounts<AppUser>;
  notes: Notes;
  log: Logger;
}

export interface ServiceOptions {
  config: AppConfig;
  db: Database;
  sessionKeys: string[];
  log: Logger;
  clock?: Clock;
  /** Tests pass cheaper argon2 parameters or tighter throttling. */
  hasher?: PasswordHasher;
  throttle?: { account?: ThrottleRule; address?: ThrottleRule };
}

export function createServices(options: ServiceOptions): AppServices {
  const { config, db } = options;
  const users = new SqliteUserStore(db);
  const sessions = new SessionManager<AppUser>({
    store: new SqliteStore<AppUser>(db, { users: ACCOUNT_USERS_JOIN }),
    origin: config.origin,
    keys: options.sessionKeys,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: config.absoluteTimeoutSeconds,
    clock: options.clock,
  });
  const accounts = new Accounts<AppUser>({
    users,
    attempts: new SqliteAttemptStore(db),
    sessionUser: (user) => ({ id: user.id, email: user.email }),
    sessions,
    hasher: options.hasher,
    throttle: options.throttle,
    clock: options.clock,
  });
  return { config, db, sessions, accounts, notes: new Notes(db), log: options.log };
}
