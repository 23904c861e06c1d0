/**
 * Builds session populations for the benchmarks through the public API: `createSessionManager` over a
 * `MemoryStore` or a `SqliteStore` (file database in a temporary directory), so every stored record is
 * exactly what the manager creates. Each population also gets an unsigned manager over the same store:
 * records do not depend on signing, so the unsigned token is the signed one without its MAC.
 *
 * The sessions of one size are created once, through the manager into the memory store; the SQLite store
 * of that size is then loaded with those very records (through its own `create`), which halves the time
 * spent creating sessions (the 1M populations dominate the run otherwise).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { createSessionManager, MemoryStore, type SessionManager, type SessionStore } from 'cloakroom';
import type { SessionRecord, SessionUser } from 'cloakroom/stores';
import { SqliteStore } from 'cloakroom/stores/sqlite';
import { shuffle } from '../../src/bench/measure.js';

export const ORIGIN = 'https://example.com';
/** One signing key per run, as a site would configure it (32 random bytes). */
export const SIGNING_KEY = randomBytes(32);
/**
 * The benchmark times the read path. Sliding renewal writes at most once per touch interval per session
 * (default 60 s); with it at its maximum (half the 7-day idle timeout) no validation in the run writes.
 */
const TOUCH_INTERVAL_SECONDS = (7 * 24 * 3600) / 2;

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
];

export interface Population {
  readonly kind: 'memory' | 'sqlite';
  readonly size: number;
  readonly store: SessionStore;
  readonly signed: SessionManager<SessionUser>;
  readonly unsigned: SessionManager<SessionUser>;
  /** Every session's signed token, in a shuffled order. */
  readonly signedTokens: string[];
  /** The same sessions' unsigned tokens, in the same order. */
  readonly unsignedTokens: string[];
  /** The same sessions' ids, in the same order. */
  readonly ids: string[];
  /** Wall time to build the population, in milliseconds. */
  readonly buildMs: number;
  /** For SQLite: the open database the store reads, and its file size after building. */
  readonly db?: Database.Database;
  readonly fileBytes?: number;
  /** Releases everything (closes and deletes the database). */
  close(): void;
}

function managers(store: SessionStore): Pick<Population, 'signed' | 'unsigned'> {
  return {
    signed: createSessionManager({
      store,
      origin: ORIGIN,
      keys: [SIGNING_KEY],
      touchIntervalSeconds: TOUCH_INTERVAL_SECONDS,
    }),
    unsigned: createSessionManager({
      store,
      origin: ORIGIN,
      signed: false,
      touchIntervalSeconds: TOUCH_INTERVAL_SECONDS,
    }),
  };
}

/**
 * Passes `create` on to `target` (when there is one) and keeps a copy of each record, so that the very
 * records the manager created can be loaded into a second store. Nothing else is ever called on it.
 */
class RecordingStore implements SessionStore {
  readonly records: SessionRecord[] = [];
  constructor(readonly target: SessionStore | null) {}

  create(session: SessionRecord): Promise<void> {
    this.records.push(session);
    return this.target === null ? Promise.resolve() : this.target.create(session);
  }
  get(): never {
    throw new Error('not used while populating');
  }
  touch(): never {
    throw new Error('not used while populating');
  }
  replace(): never {
    throw new Error('not used while populating');
  }
  delete(): never {
    throw new Error('not used while populating');
  }
}

/** Sessions created by the signed manager: each one's signed token and stored record, in creation order. */
export interface CreatedSessions {
  readonly tokens: string[];
  readonly records: SessionRecord[];
}

/**
 * Creates `size` sessions (two per user, each with a user agent and an IP, as a site records them) through
 * a signed manager, into `target` if given, keeping every token and record.
 */
export async function createSessions(size: number, target: SessionStore | null): Promise<CreatedSessions> {
  const recorder = new RecordingStore(target);
  const manager = managers(recorder).signed;
  const tokens = new Array<string>(size);
  // One at a time, as a site creates them. Thousands in flight at once would keep each creation's
  // short-lived objects (the issued session, its public view) alive through young-generation collections,
  // and V8 would then allocate everything those code sites make straight in the old generation, validation's
  // session views included: garbage that only a full collection of the whole heap reclaims (allocation-site
  // pretenuring), which no server creating sessions one request at a time would see.
  for (let i = 0; i < size; i++) {
    const metadata = { userAgent: USER_AGENTS[i & 3]!, ip: `203.0.113.${i & 255}` };
    tokens[i] = (await manager.create(`user-${i >> 1}`, metadata)).token;
  }
  if (recorder.records.length !== size)
    throw new Error(`${recorder.records.length} records for ${size} sessions`);
  return { tokens, records: recorder.records };
}

function orders(
  tokens: readonly string[],
  seed: number,
): Pick<Population, 'signedTokens' | 'unsignedTokens' | 'ids'> {
  const shuffled = shuffle([...tokens], seed);
  // Fresh flat copies, allocated in the shuffled order so that they sit one after another in memory: a
  // server reads each token from a request it has just parsed, so the token's own characters are in the
  // CPU cache. Without this, every lookup would start with a cache miss on a string created far away
  // (an artifact that grows with the population and would be charged to the store).
  const fresh = (text: string): string => Buffer.from(text, 'latin1').toString('latin1');
  // `<id>.<secret>.<mac>`: the unsigned token is `<id>.<secret>`, the id its first 16 characters.
  return {
    signedTokens: shuffled.map(fresh),
    unsignedTokens: shuffled.map((token) => fresh(token.slice(0, token.lastIndexOf('.')))),
    ids: shuffled.map((token) => fresh(token.slice(0, token.indexOf('.')))),
  };
}

/** A memory store filled through the manager; also returns what was created, for a SQLite population. */
export async function memoryPopulation(
  size: number,
  seed: number,
): Promise<{ population: Population; created: CreatedSessions }> {
  const started = performance.now();
  const store = new MemoryStore({ max: size });
  const created = await createSessions(size, store);
  if (store.size !== size) throw new Error(`memory store holds ${store.size} sessions, expected ${size}`);
  const population: Population = {
    kind: 'memory',
    size,
    store,
    ...managers(store),
    ...orders(created.tokens, seed),
    buildMs: performance.now() - started,
    close: () => undefined,
  };
  return { population, created };
}

/**
 * A SQLite population in a file database holding exactly the records the manager created (`created`,
 * e.g. from the memory population of the same size), inserted through `SqliteStore.create` on one
 * connection in large transactions, in id order, with syncing off and a big cache: that changes how fast
 * the file is written, not what is in it (though id order packs the primary-key B-tree a little tighter
 * than random inserts would). That connection is then closed (checkpointing the WAL into the file) and a
 * fresh connection with the store's defaults plus `pragmas` serves the measurements, as a freshly started
 * server would.
 */
export async function sqlitePopulation(
  created: CreatedSessions,
  seed: number,
  pragmas: readonly string[],
): Promise<Population> {
  const started = performance.now();
  const size = created.records.length;
  const dir = mkdtempSync(join(tmpdir(), 'cloakroom-bench-'));
  const file = join(dir, 'sessions.db');
  try {
    const writer = new Database(file);
    writer.pragma('synchronous = OFF');
    writer.pragma('cache_size = -262144');
    const writerStore = new SqliteStore(writer);
    const records = [...created.records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const chunk = 50_000;
    for (let start = 0; start < size; start += chunk) {
      writer.exec('BEGIN');
      try {
        // One at a time (each settles at once): see createSessions on keeping many in flight.
        for (const record of records.slice(start, start + chunk)) await writerStore.create(record);
        writer.exec('COMMIT');
      } catch (error) {
        writer.exec('ROLLBACK');
        throw error;
      }
    }
    const rows = (writer.prepare('SELECT count(*) AS n FROM cloakroom_sessions').get() as { n: number }).n;
    if (rows !== size) throw new Error(`sqlite store holds ${rows} sessions, expected ${size}`);
    writer.close();
    const fileBytes = statSync(file).size;

    const db = new Database(file);
    for (const pragma of pragmas) db.pragma(pragma);
    const store = new SqliteStore(db);
    return {
      kind: 'sqlite',
      size,
      store,
      ...managers(store),
      ...orders(created.tokens, seed),
      buildMs: performance.now() - started,
      db,
      fileBytes,
      close: () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
