import type { Database, Statement } from 'better-sqlite3';
import { systemClock, type Clock } from '../../clock.js';
import { quoteIdentifier } from '../sqlite/sql.js';
import type { InvalidationHandler, Invalidator } from './invalidator.js';
import { decodeMessage, encodeMessage, type InvalidationMessage } from './message.js';

export interface SqliteInvalidatorOptions {
  /** The table that carries the messages (created if missing). Default `cloakroom_invalidations`. */
  table?: string;
  /** How often each subscriber reads new messages: the bound on a revocation's delay. Default 20 ms. */
  pollMs?: number;
  /** How long a message is kept for slow readers before it is pruned. Default 60,000 ms. */
  retainMs?: number;
  /** Time source for pruning (tests). */
  clock?: Clock;
}

/** Messages read per poll, so that one poll never holds the event loop for long. */
const POLL_BATCH = 500;

/**
 * Invalidations between processes that share one SQLite file (several app processes on one machine): a
 * publish appends a row to a table in that file, and every subscriber reads the rows after the last one it
 * saw, every `pollMs`. There is no server to push messages, so a revocation reaches the other processes
 * within `pollMs` plus one poll, and this process's own revocations evict at once as with any invalidator.
 *
 * Messages are kept `retainMs` and then pruned. A subscriber that finds a gap before the rows it reads (it
 * did not poll for longer than that, or a message was pruned before it got there) drops everything it has
 * cached, and a poll that fails (the file is locked or gone) reports the subscription `lost` until a poll
 * succeeds again: in both cases the cache stops trusting memory rather than risk a missed revocation.
 *
 * @example
 * ```ts
 * const db = new Database('data/cloakroom.db');
 * const store = await CachedStore.create(new SqliteStore(db), { invalidator: new SqliteInvalidator(db) });
 * ```
 */
export class SqliteInvalidator implements Invalidator {
  readonly #insert: Statement;
  readonly #after: Statement;
  readonly #last: Statement;
  readonly #prune: Statement;
  readonly #pollMs: number;
  readonly #retainMs: number;
  readonly #clock: Clock;
  readonly #table: string;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(db: Database, options: SqliteInvalidatorOptions = {}) {
    this.#pollMs = positive(options.pollMs ?? 20, 'pollMs');
    this.#retainMs = positive(options.retainMs ?? 60_000, 'retainMs');
    this.#clock = options.clock ?? systemClock;
    this.#table = options.table ?? 'cloakroom_invalidations';
    const table = quoteIdentifier(this.#table, 'table');
    // AUTOINCREMENT: ids are never reused, even once every row has been pruned, so "after the last id I
    // saw" stays meaningful for a subscriber that has been idle.
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, ` +
        'message TEXT NOT NULL)',
    );
    this.#insert = db.prepare(`INSERT INTO ${table} (at, message) VALUES (?, ?)`);
    this.#after = db.prepare(`SELECT id, message FROM ${table} WHERE id > ? ORDER BY id LIMIT ${POLL_BATCH}`);
    // The last id handed out, from SQLite's own counter: correct even when the table is empty.
    this.#last = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck(true);
    this.#prune = db.prepare(`DELETE FROM ${table} WHERE at < ?`);
  }

  publish(message: InvalidationMessage): Promise<void> {
    try {
      this.#insert.run(this.#clock.now(), encodeMessage(message));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  subscribe(handler: InvalidationHandler): Promise<() => Promise<void>> {
    let cursor: number;
    try {
      cursor = this.#lastId();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    let lost = false;
    const poll = (): void => {
      let rows: { id: number; message: string }[];
      try {
        rows = this.#after.all(cursor) as { id: number; message: string }[];
        this.#maybePrune();
      } catch (error) {
        if (!lost)
          handler({ type: 'lost', error: error instanceof Error ? error : new Error(String(error)) });
        lost = true;
        return;
      }
      if (lost) {
        lost = false;
        handler({ type: 'ready' });
      }
      const first = rows[0];
      // Ids are consecutive unless a message was pruned (or its insert rolled back) before this subscriber
      // read it: then anything may have been missed, and the cache drops everything, which is always safe.
      if (first !== undefined && first.id !== cursor + 1) {
        handler({ type: 'message', message: { origin: '', sessions: [], users: [], all: true } });
      }
      for (const row of rows) {
        cursor = row.id;
        handler({ type: 'message', message: decodeMessage(row.message) });
      }
    };
    const timer = setInterval(poll, this.#pollMs).unref();
    handler({ type: 'ready' });
    return Promise.resolve(() => {
      clearInterval(timer);
      return Promise.resolve();
    });
  }

  #lastId(): number {
    const seq = this.#last.get(this.#table) as number | undefined;
    return seq ?? 0;
  }

  /** Deletes messages older than `retainMs`, at most once per quarter of it (any process may do it). */
  #maybePrune(): void {
    const now = this.#clock.now();
    if (now - this.#prunedAt < this.#retainMs / 4) return;
    this.#prunedAt = now;
    this.#prune.run(now - this.#retainMs);
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}
