// Shared pieces of the accounts tests: a hasher that counts its argon2 calls, and an Accounts instance on
// in-memory stores with request sessions made the way an adapter makes them.
import { Accounts, type AccountsOptions } from '../../src/accounts/accounts.js';
import {
  PasswordHasher,
  type Argon2Parameters,
  type PasswordCheck,
} from '../../src/accounts/password-hash.js';
import { MemoryAttemptStore, MemoryUserStore } from '../../src/accounts/stores/memory.js';
import type { AttemptStore, UserStore } from '../../src/accounts/types.js';
import {
  loadRequestSession,
  type RequestInfo,
  type RequestSession,
} from '../../src/session/request-session.js';
import { SessionManager } from '../../src/session/manager.js';
import type { SessionManagerOptions } from '../../src/session/config.js';
import type { SessionUser } from '../../src/stores/types.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { ManualClock } from '../helpers/clock.js';

/** Cheap argon2id for tests that are not about the cost parameters. */
export const CHEAP: Argon2Parameters = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export const ORIGIN = 'https://example.com';

/** Counts every argon2 hash and verification, so tests can prove what was (not) hashed without timing. */
export class CountingHasher extends PasswordHasher {
  hashes = 0;
  verifications = 0;
  /** Passwords given to argon2, in order (hash or verify). */
  readonly seen: string[] = [];

  override hash(password: string): Promise<string> {
    this.hashes += 1;
    this.seen.push(password);
    return super.hash(password);
  }

  override verify(stored: string, password: string): Promise<PasswordCheck> {
    this.verifications += 1;
    this.seen.push(password);
    return super.verify(stored, password);
  }

  reset(): void {
    this.hashes = 0;
    this.verifications = 0;
    this.seen.length = 0;
  }
}

export interface Harness {
  accounts: Accounts<SessionUser>;
  sessions: SessionManager<SessionUser>;
  hasher: CountingHasher;
  users: UserStore;
  attempts: AttemptStore;
  clock: ManualClock;
  /** A request as an adapter would load it; `setCookies` collects what it emits. */
  request(
    info?: Partial<RequestInfo>,
  ): Promise<{ session: RequestSession<SessionUser>; setCookies: string[] }>;
}

/** Accounts on memory stores, with a counting cheap hasher already warmed up (and its counts reset). */
export async function harness(
  options: Partial<AccountsOptions<SessionUser>> = {},
  sessionOptions: Partial<SessionManagerOptions<SessionUser>> = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const sessions = new SessionManager<SessionUser>({
    store: new MemoryStore({ clock }),
    origin: ORIGIN,
    keys: ['k'.repeat(43)],
    clock,
    ...sessionOptions,
  });
  const hasher = options.hasher instanceof CountingHasher ? options.hasher : new CountingHasher(CHEAP);
  const users = options.users ?? new MemoryUserStore();
  const attempts = options.attempts ?? new MemoryAttemptStore();
  const accounts = new Accounts<SessionUser>({ clock, ...options, users, attempts, sessions, hasher });
  await accounts.warmUp();
  hasher.reset();
  return {
    accounts,
    sessions,
    hasher,
    users,
    attempts,
    clock,
    async request(info = {}) {
      const setCookies: string[] = [];
      const session = await loadRequestSession(
        sessions,
        {
          method: 'POST',
          cookie: null,
          origin: ORIGIN,
          secFetchSite: null,
          userAgent: 'test',
          ip: '192.0.2.1',
          ...info,
        },
        (value) => setCookies.push(value),
      );
      return { session, setCookies };
    },
  };
}

/** The `Cookie` header that sends back the session a `Set-Cookie` value carries. */
export function cookieFrom(setCookie: string): string {
  return setCookie.split(';', 1)[0]!;
}
