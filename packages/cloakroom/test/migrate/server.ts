// A site on the node:http adapter with the migration layer: the test fixture for every legacy source.
import { createServer } from 'node:http';
import type { EventSink } from '../../src/events/index.js';
import { sendSessionError, sessionOfNode } from '../../src/adapters/node.js';
import {
  createMigration,
  MemoryMigrationStore,
  type LegacySource,
  type MigrationStore,
} from '../../src/migrate/index.js';
import { SessionManager } from '../../src/session/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { SessionStore } from '../../src/stores/index.js';
import { listen } from '../helpers/http.js';

export interface SiteUser {
  id: string;
  email: string;
}

/** The site's accounts: legacy credentials name users by email. */
export const USERS: readonly SiteUser[] = [
  { id: 'u-ada', email: 'ada@example.com' },
  { id: 'u-bob', email: 'bob@example.com' },
];

export interface MigratingSite {
  url: string;
  origin: string;
  manager: SessionManager<SiteUser>;
  migrationStore: MigrationStore;
  close: () => Promise<void>;
}

export async function startMigratingSite(options: {
  sources: LegacySource[];
  migrationStore?: MigrationStore;
  sessionStore?: SessionStore<SiteUser>;
  acceptUntil?: string | number;
  /** Off: the same site without the migration layer (for comparisons). */
  migrate?: boolean;
  /** The session manager's security event hook. */
  onEvent?: EventSink;
}): Promise<MigratingSite> {
  const migrationStore = options.migrationStore ?? new MemoryMigrationStore();
  const byId = new Map(USERS.map((user) => [user.id, user]));
  const migration = createMigration<SiteUser>({
    sources: options.sources,
    store: migrationStore,
    acceptUntil: options.acceptUntil,
    findUser: ({ subject }) => {
      const user = USERS.find((candidate) => candidate.email === subject);
      return Promise.resolve(user === undefined ? null : { userId: user.id, user });
    },
  });
  const origin = 'http://localhost:8080';
  const manager = new SessionManager<SiteUser>({
    store: options.sessionStore ?? new MemoryStore<SiteUser>({ loadUser: (id) => byId.get(id) ?? null }),
    origin,
    keys: ['migrate-test-key-0123456789abcdef0123456789'],
    ...(options.migrate === false ? {} : { migration }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const session = await sessionOfNode(manager, req, res);
        res.setHeader('content-type', 'application/json');
        if (session.user === null) {
          res.statusCode = 401;
          res.end(JSON.stringify({ error: { code: 'unauthenticated', message: 'Sign in.' } }));
          return;
        }
        res.end(JSON.stringify({ user: session.user, expiresAt: session.session?.absoluteExpiresAt }));
      } catch (error) {
        if (!sendSessionError(res, error)) {
          res.statusCode = 500;
          res.end();
        }
      }
    })();
  });
  const started = await listen(server);
  return { url: started.url, origin, manager, migrationStore, close: started.close };
}

/** The cookie jar of one browser: keeps what responses set, drops what they expire. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(initial)) this.cookies.set(name, value);
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', this.header());
    const response = await fetch(url, { ...init, headers });
    this.take(response);
    return response;
  }
}
