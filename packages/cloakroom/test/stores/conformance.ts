// The one conformance suite every SessionStore runs (memory, SQLite, Redis and Redis Cluster, PostgreSQL,
// memcached, the near-cache); options add the scenarios only some stores can run (batched sweeps, a silent server).
// Stores may live in another process, so the suite never relies on moving a store's own time: it passes the
// clock to the factory and checks expiry through explicit times (`expiresAt` values and `deleteExpired(now)`).
// Every record it writes expires at least an hour after real time, so a remote store's real TTLs never
// remove anything during a run.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { createSessionManager, type SessionManager } from '../../src/session/manager.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { SessionIndex, SessionRecord, SessionStore, SessionUser } from '../../src/stores/types.js';
import { silentServer } from '../helpers/tcp-proxy.js';
import { runAuthFieldScenarios } from './conformance-auth.js';

/** A store under test and how to release it. */
export interface StoreHandle {
  store: SessionStore;
  close?: () => Promise<void> | void;
  /**
   * For a store that persists records: writes `record` the way the store did before sessions had `authTime`
   * and `amr` (its old row, item or value layout, without them), so the suite checks that such a record reads
   * back with `authTime = createdAt` and `amr = []` and still works.
   */
  writeLegacy?: (record: SessionRecord) => Promise<void>;
}

/**
 * Makes a fresh, empty store for one test (a new database, table, key prefix or server namespace), reading
 * time from `clock` wherever it reads time at all. Users are the store's default `{ id: userId }`.
 */
export type MakeStore = (clock: Clock) => Promise<StoreHandle>;

export interface StoreConformanceOptions {
  /** Whether the store implements `SessionIndex` (listing, bulk revocation, sweeping). Default `true`. */
  index?: boolean;
  /**
   * For a store that sweeps in batches of one statement each: makes a fresh store with `sweepBatchSize:
   * batch` that pushes onto `runs` the number of sessions each run of its sweep statement removed.
   */
  sweepBatches?: (batch: number, runs: number[]) => Promise<StoreHandle>;
  /** Whether its index can count sessions (`SessionIndex.counter`). Default: whether it has an index. */
  counter?: boolean;
  /**
   * For a store on a network server: makes a store whose client has no time limits of its own (or very
   * long ones), talking to a server at `port` on 127.0.0.1 that accepts connections and never answers, with
   * the store's own `timeoutMs`.
   */
  silentServer?: (port: number, clock: Clock, timeoutMs: number) => StoreHandle;
  /**
   * The user ids of the scenarios that run for several users (the session manager's awkward ids by default);
   * a Redis Cluster store gives one user per master, so every master runs them.
   */
  users?: () => Promise<readonly string[]>;
}

/** User ids the session manager accepts that are awkward for key layouts (hash-tag braces, escapes, non-ASCII). */
export const AWKWARD_USERS: readonly string[] = ['}x', '{a}b', '%7d', 'a}b{c', '\u00e9\u4e2d'];

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): number {
    this.#now += ms;
    return this.#now;
  }

  set(now: number): void {
    this.#now = now;
  }
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function randomId(): string {
  return randomBytes(12).toString('base64url');
}

/** A complete record created at `now`, live for an hour; a plain Uint8Array hash, as the type allows. */
export function makeRecord(now: number, fields: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomId(),
    userId: `user-${randomId()}`,
    secretHash: new Uint8Array(randomBytes(32)),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + HOUR,
    absoluteExpiresAt: now + DAY,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0 \u00e9\u4e2d\u{1f600}',
    ip: '2001:db8::7',
    authTime: now - 30 * SECOND,
    amr: ['pwd', 'otp', 'mfa'],
    version: 1,
    ...fields,
  };
}

/** `makeRecord` with an id made as the session layer makes it: with the store's tag, if it asks for one. */
export function makeRecordFor(
  store: Pick<SessionStore, 'sessionIdTag'>,
  now: number,
  fields: Partial<SessionRecord> = {},
): SessionRecord {
  const record = makeRecord(now, fields);
  if (fields.id !== undefined || store.sessionIdTag === undefined) return record;
  return { ...record, id: store.sessionIdTag(record.userId) + record.id };
}

/** A record in a form `deepStrictEqual` compares by value (Buffer and Uint8Array hold the same bytes). */
export function comparable(record: SessionRecord): Record<string, unknown> {
  assert.ok(record.secretHash instanceof Uint8Array, 'secretHash must be a Uint8Array');
  return { ...record, secretHash: Buffer.from(record.secretHash).toString('hex') };
}

export function assertSameRecord(actual: SessionRecord | undefined, expected: SessionRecord): void {
  assert.ok(actual !== undefined, `expected session ${expected.id} to be stored`);
  assert.deepStrictEqual(comparable(actual), comparable(expected));
}

function byId(records: readonly SessionRecord[]): Record<string, unknown>[] {
  return [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(comparable);
}

interface Fixture {
  store: SessionStore;
  clock: ManualClock;
  /** `makeRecord` for this store: the id carries the store's tag for its user, if the store asks for one. */
  make: (now: number, fields?: Partial<SessionRecord>) => SessionRecord;
}

async function withStore(makeStore: MakeStore, run: (fixture: Fixture) => Promise<void>): Promise<void> {
  const clock = new ManualClock();
  const { store, close } = await makeStore(clock);
  try {
    await run({ store, clock, make: (now, fields) => makeRecordFor(store, now, fields) });
  } finally {
    await close?.();
  }
}

function indexOf(store: SessionStore): SessionIndex {
  assert.ok(store.index !== undefined, 'the store should implement SessionIndex');
  return store.index;
}

async function stored(store: SessionStore, id: string): Promise<SessionRecord | undefined> {
  return (await store.get(id))?.session;
}

/** Registers the conformance tests for one store. */
export function runStoreConformance(
  name: string,
  makeStore: MakeStore,
  options: StoreConformanceOptions = {},
): void {
  const hasIndex = options.index ?? true;
  const it = (title: string, run: (fixture: Fixture) => Promise<void>): void => {
    test(title, () => withStore(makeStore, run));
  };

  describe(`${name}: SessionStore conformance`, () => {
    describe('get and create', () => {
      it('get of an unknown id resolves to null', async ({ store }) => {
        assert.equal(await store.get(randomId()), null);
        assert.equal(await store.get(`it's "quoted" %_* \u00e9`), null);
      });

      it('create then get returns an equal record and the user', async ({ make, store, clock }) => {
        const record = make(clock.now());
        await store.create(record);
        const found = await store.get(record.id);
        assert.ok(found !== null);
        assertSameRecord(found.session, record);
        assert.deepStrictEqual(found.user, { id: record.userId } satisfies SessionUser);
      });

      it('an immediate read (where the store has one) answers what get answers', async ({
        make,
        store,
        clock,
      }) => {
        const immediate = store.immediate;
        if (immediate === undefined) return; // optional: validation awaits get instead
        const record = make(clock.now());
        await store.create(record);
        // Twice: a caching store answers the second from memory, and must answer the same.
        for (let read = 0; read < 2; read++) {
          const found = await immediate.getNow(record.id);
          assert.ok(found !== null, `read ${String(read)}`);
          assertSameRecord(found.session, record);
          assert.deepStrictEqual(found.user, (await store.get(record.id))?.user);
        }
        assert.equal(await immediate.getNow(randomId()), null);
        await store.delete(record.id);
        assert.equal(await immediate.getNow(record.id), null, 'a deleted session is never answered');
      });

      it('keeps null user agent and ip as null', async ({ make, store, clock }) => {
        const record = make(clock.now(), { userAgent: null, ip: null });
        await store.create(record);
        const found = await stored(store, record.id);
        assertSameRecord(found, record);
        assert.equal(found?.userAgent, null);
        assert.equal(found?.ip, null);
      });

      it('keeps each session apart', async ({ make, store, clock }) => {
        const a = make(clock.now());
        const b = make(clock.now(), { userId: a.userId, ip: '198.51.100.2', version: 7 });
        await store.create(a);
        await store.create(b);
        assertSameRecord(await stored(store, a.id), a);
        assertSameRecord(await stored(store, b.id), b);
      });

      it('create with an existing id rejects and keeps the stored session', async ({
        make,
        store,
        clock,
      }) => {
        const original = make(clock.now());
        await store.create(original);
        const intruder = make(clock.now(), { id: original.id, userId: 'someone-else', version: 9 });
        await assert.rejects(store.create(intruder));
        const found = await store.get(original.id);
        assert.ok(found !== null);
        assertSameRecord(found.session, original);
        assert.deepStrictEqual(found.user, { id: original.userId });
      });

      it('what is stored does not change when the caller mutates what it passed in', async ({
        make,
        store,
        clock,
      }) => {
        const record = make(clock.now());
        const expected = { ...record, secretHash: new Uint8Array(record.secretHash) };
        await store.create(record);
        const mutable = record as { -readonly [K in keyof SessionRecord]: SessionRecord[K] };
        mutable.secretHash.fill(0);
        mutable.userId = 'mallory';
        mutable.expiresAt += DAY;
        mutable.version = 99;
        assertSameRecord(await stored(store, record.id), expected);

        const next = make(clock.now(), { userId: expected.userId });
        const expectedNext = { ...next, secretHash: new Uint8Array(next.secretHash) };
        assert.equal(await store.replace(record.id, 1, next), true);
        next.secretHash.fill(0);
        (next as { absoluteExpiresAt: number }).absoluteExpiresAt = 0;
        assertSameRecord(await stored(store, next.id), expectedNext);

        const touch = { lastSeenAt: clock.now() + MINUTE, expiresAt: clock.now() + 2 * HOUR, version: 1 };
        assert.equal(await store.touch(next.id, touch), true);
        touch.expiresAt = 0;
        touch.version = 42;
        assertSameRecord(await stored(store, next.id), {
          ...expectedNext,
          lastSeenAt: clock.now() + MINUTE,
          expiresAt: clock.now() + 2 * HOUR,
          version: 2,
        });
      });
    });

    describe('touch', () => {
      it('with the stored version renews the session and bumps its version', async ({
        make,
        store,
        clock,
      }) => {
        const record = make(clock.now());
        await store.create(record);
        const now = clock.advance(5 * MINUTE);
        assert.equal(
          await store.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }),
          true,
        );
        const once = { ...record, lastSeenAt: now, expiresAt: now + HOUR, version: 2 };
        assertSameRecord(await stored(store, record.id), once);

        // The old version no longer applies; the new one does.
        const later = clock.advance(5 * MINUTE);
        assert.equal(
          await store.touch(record.id, { lastSeenAt: later, expiresAt: later + HOUR, version: 1 }),
          false,
        );
        assertSameRecord(await stored(store, record.id), once);
        assert.equal(
          await store.touch(record.id, { lastSeenAt: later, expiresAt: later + HOUR, version: 2 }),
          true,
        );
        assertSameRecord(await stored(store, record.id), {
          ...record,
          lastSeenAt: later,
          expiresAt: later + HOUR,
          version: 3,
        });
      });

      it('with a wrong version resolves to false and changes nothing', async ({ make, store, clock }) => {
        const record = make(clock.now(), { version: 5 });
        await store.create(record);
        const now = clock.advance(MINUTE);
        for (const version of [4, 6, 0, -1]) {
          assert.equal(
            await store.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version }),
            false,
          );
        }
        assertSameRecord(await stored(store, record.id), record);
      });

      it('of an unknown id resolves to false and creates nothing', async ({ store, clock }) => {
        const id = randomId();
        const now = clock.now();
        assert.equal(await store.touch(id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), false);
        assert.equal(await store.get(id), null);
      });

      it('after delete resolves to false and never brings the session back', async ({
        make,
        store,
        clock,
      }) => {
        const record = make(clock.now());
        await store.create(record);
        await store.delete(record.id);
        const now = clock.advance(MINUTE);
        assert.equal(
          await store.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }),
          false,
        );
        assert.equal(await store.get(record.id), null);
        if (hasIndex) assert.deepStrictEqual(await indexOf(store).listByUser(record.userId), []);
      });

      it('two concurrent touches of one version: exactly one wins', async ({ make, store, clock }) => {
        const record = make(clock.now());
        await store.create(record);
        const now = clock.advance(MINUTE);
        const results = await Promise.all([
          store.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }),
          store.touch(record.id, { lastSeenAt: now + 1, expiresAt: now + 2 * HOUR, version: 1 }),
        ]);
        assert.equal(results.filter(Boolean).length, 1);
        const found = await stored(store, record.id);
        assert.ok(found !== undefined);
        assert.equal(found.version, 2);
        const winner = results[0] === true ? 0 : 1;
        assert.equal(found.lastSeenAt, now + winner);
        assert.equal(found.expiresAt, now + (winner + 1) * HOUR);
      });

      it('takes only the renewal from its argument', async ({ make, store, clock }) => {
        const target = make(clock.now());
        const other = make(clock.now());
        await store.create(target);
        await store.create(other);
        const now = clock.advance(MINUTE);
        // A record-shaped argument (allowed by the type) names another session: only its renewal counts.
        const touch = { ...other, lastSeenAt: now, expiresAt: now + HOUR, version: 1 };
        assert.equal(await store.touch(target.id, touch), true);
        assertSameRecord(await stored(store, target.id), {
          ...target,
          lastSeenAt: now,
          expiresAt: now + HOUR,
          version: 2,
        });
        assertSameRecord(await stored(store, other.id), other);
      });
    });

    describe('replace', () => {
      it('with the stored version swaps the old session for the new one', async ({ make, store, clock }) => {
        const old = make(clock.now());
        await store.create(old);
        const next = make(clock.advance(MINUTE), { userId: old.userId, createdAt: old.createdAt });
        assert.equal(await store.replace(old.id, 1, next), true);
        assert.equal(await store.get(old.id), null);
        const found = await store.get(next.id);
        assert.ok(found !== null);
        assertSameRecord(found.session, next);
        assert.deepStrictEqual(found.user, { id: old.userId });
        if (hasIndex) assert.deepStrictEqual(byId(await indexOf(store).listByUser(old.userId)), byId([next]));
        // The successor is a live session in its own right.
        const now = clock.advance(MINUTE);
        assert.equal(
          await store.touch(next.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }),
          true,
        );
      });

      it('with a wrong version resolves to false and stores nothing', async ({ make, store, clock }) => {
        const old = make(clock.now());
        await store.create(old);
        const now = clock.advance(MINUTE);
        assert.equal(await store.touch(old.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), true);
        const touched = { ...old, lastSeenAt: now, expiresAt: now + HOUR, version: 2 };
        for (const version of [1, 3]) {
          const next = make(now, { userId: old.userId });
          assert.equal(await store.replace(old.id, version, next), false);
          assert.equal(await store.get(next.id), null);
        }
        assertSameRecord(await stored(store, old.id), touched);
        if (hasIndex)
          assert.deepStrictEqual(byId(await indexOf(store).listByUser(old.userId)), byId([touched]));
      });

      it('of a missing id resolves to false and stores nothing', async ({ make, store, clock }) => {
        const next = make(clock.now());
        assert.equal(await store.replace(randomId(), 1, next), false);
        assert.equal(await store.get(next.id), null);
        if (hasIndex) assert.deepStrictEqual(await indexOf(store).listByUser(next.userId), []);
      });

      it('after a delete resolves to false: a rotation racing a sign-out leaves nothing', async ({
        make,
        store,
        clock,
      }) => {
        const old = make(clock.now());
        await store.create(old);
        const next = make(clock.now(), { userId: old.userId });
        const [, replaced] = await Promise.all([store.delete(old.id), store.replace(old.id, 1, next)]);
        assert.equal(replaced, false);
        assert.equal(await store.get(old.id), null);
        assert.equal(await store.get(next.id), null);
      });

      it('two concurrent replaces of one version: exactly one successor', async ({ make, store, clock }) => {
        const old = make(clock.now());
        await store.create(old);
        const a = make(clock.now(), { userId: old.userId });
        const b = make(clock.now(), { userId: old.userId });
        const results = await Promise.all([store.replace(old.id, 1, a), store.replace(old.id, 1, b)]);
        assert.equal(results.filter(Boolean).length, 1);
        const [winner, loser] = results[0] === true ? [a, b] : [b, a];
        assert.equal(await store.get(old.id), null);
        assertSameRecord(await stored(store, winner.id), winner);
        assert.equal(await store.get(loser.id), null);
      });

      it('onto an id that already exists rejects and changes nothing', async ({ make, store, clock }) => {
        const old = make(clock.now());
        const existing = make(clock.now());
        await store.create(old);
        await store.create(existing);
        const next = make(clock.now(), { id: existing.id, userId: old.userId });
        await assert.rejects(store.replace(old.id, 1, next));
        assertSameRecord(await stored(store, old.id), old);
        assertSameRecord(await stored(store, existing.id), existing);
      });
    });

    describe('delete', () => {
      it('removes only that session, and removing a missing one is fine', async ({ make, store, clock }) => {
        const a = make(clock.now());
        const b = make(clock.now(), { userId: a.userId });
        await store.create(a);
        await store.create(b);
        await store.delete(a.id);
        assert.equal(await store.get(a.id), null);
        assertSameRecord(await stored(store, b.id), b);
        await store.delete(a.id);
        await store.delete(randomId());
        assertSameRecord(await stored(store, b.id), b);
      });
    });

    if (!hasIndex) {
      it('has no session index, and the session manager refuses the index operations', async ({
        store,
        clock,
      }) => {
        assert.equal(store.index, undefined);
        const manager = managerFor(store, clock);
        await assert.rejects(manager.listUserSessions('u'), TypeError);
        await assert.rejects(manager.revokeUserSessions('u'), TypeError);
        await assert.rejects(manager.sweepExpired(), TypeError);
      });
    }

    if (hasIndex)
      describe('index', () => {
        it("listByUser returns exactly that user's sessions", async ({ make, store, clock }) => {
          const now = clock.now();
          const alice = [1, 2, 3].map(() => make(now, { userId: 'alice' }));
          const bob = make(now, { userId: 'bob' });
          const alicia = make(now, { userId: 'alic' });
          for (const record of [...alice, bob, alicia]) await store.create(record);
          const index = indexOf(store);
          assert.deepStrictEqual(byId(await index.listByUser('alice')), byId(alice));
          assert.deepStrictEqual(byId(await index.listByUser('bob')), byId([bob]));
          assert.deepStrictEqual(await index.listByUser('nobody'), []);
          assert.deepStrictEqual(await index.listByUser('alic%'), []);
        });

        it('listByUser follows touch, replace and delete', async ({ make, store, clock }) => {
          const a = make(clock.now(), { userId: 'carol' });
          const b = make(clock.now(), { userId: 'carol' });
          const c = make(clock.now(), { userId: 'carol' });
          for (const record of [a, b, c]) await store.create(record);
          const now = clock.advance(MINUTE);
          assert.equal(await store.touch(a.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), true);
          const next = make(now, { userId: 'carol' });
          assert.equal(await store.replace(b.id, 1, next), true);
          await store.delete(c.id);
          assert.deepStrictEqual(
            byId(await indexOf(store).listByUser('carol')),
            byId([{ ...a, lastSeenAt: now, expiresAt: now + HOUR, version: 2 }, next]),
          );
        });

        it("deleteByUser removes all of the user's sessions and counts them", async ({
          make,
          store,
          clock,
        }) => {
          const now = clock.now();
          const dave = [1, 2, 3].map(() => make(now, { userId: 'dave' }));
          const erin = make(now, { userId: 'erin' });
          for (const record of [...dave, erin]) await store.create(record);
          const index = indexOf(store);
          assert.equal(await index.deleteByUser('dave'), 3);
          for (const record of dave) assert.equal(await store.get(record.id), null);
          assert.deepStrictEqual(await index.listByUser('dave'), []);
          assertSameRecord(await stored(store, erin.id), erin);
          assert.equal(await index.deleteByUser('dave'), 0);
          assert.equal(await index.deleteByUser('nobody'), 0);
        });

        it('deleteByUser with except keeps that one session', async ({ make, store, clock }) => {
          const now = clock.now();
          const frank = [1, 2, 3, 4].map(() => make(now, { userId: 'frank' }));
          const grace = make(now, { userId: 'grace' });
          for (const record of [...frank, grace]) await store.create(record);
          const [current, ...others] = frank as [SessionRecord, ...SessionRecord[]];
          const index = indexOf(store);
          assert.equal(await index.deleteByUser('frank', { except: current.id }), 3);
          for (const record of others) assert.equal(await store.get(record.id), null);
          assertSameRecord(await stored(store, current.id), current);
          assert.deepStrictEqual(byId(await index.listByUser('frank')), byId([current]));
          assertSameRecord(await stored(store, grace.id), grace);
          assert.equal(await index.deleteByUser('frank', { except: current.id }), 0);

          // `except` naming another user's session protects nothing of this user, and touches nothing of theirs.
          assert.equal(await index.deleteByUser('frank', { except: grace.id }), 1);
          assert.equal(await store.get(current.id), null);
          assertSameRecord(await stored(store, grace.id), grace);
        });

        it('deleteExpired removes exactly the sessions with expiresAt <= now and counts them', async ({
          make,
          store,
          clock,
        }) => {
          const created = clock.now();
          const sweepAt = created + HOUR;
          const early = make(created, { expiresAt: sweepAt - HOUR / 2 });
          const justBefore = make(created, { expiresAt: sweepAt - 1, userId: early.userId });
          const atNow = make(created, { expiresAt: sweepAt });
          const justAfter = make(created, { expiresAt: sweepAt + 1, userId: early.userId });
          const later = make(created, { expiresAt: sweepAt + DAY });
          for (const record of [early, justBefore, atNow, justAfter, later]) await store.create(record);
          clock.set(sweepAt);
          const index = indexOf(store);
          assert.equal(await index.deleteExpired(sweepAt), 3);
          for (const record of [early, justBefore, atNow]) assert.equal(await store.get(record.id), null);
          assertSameRecord(await stored(store, justAfter.id), justAfter);
          assertSameRecord(await stored(store, later.id), later);
          assert.deepStrictEqual(byId(await index.listByUser(early.userId)), byId([justAfter]));
          assert.equal(await index.deleteExpired(sweepAt), 0);
        });

        it('countSessions counts live sessions and expired ones awaiting a sweep, at its now', async ({
          make,
          store,
          clock,
        }) => {
          const counter = indexOf(store).counter;
          if (options.counter === false) {
            assert.equal(counter, undefined);
            return;
          }
          assert.ok(counter !== undefined, 'the index should implement SessionCounter');
          assert.deepStrictEqual(await counter.countSessions(clock.now()), { live: 0, expired: 0 });
          const created = clock.now();
          const at = created + HOUR;
          const records = [
            make(created, { expiresAt: at - HOUR / 2 }),
            make(created, { expiresAt: at, userId: 'counted' }),
            make(created, { expiresAt: at + 1, userId: 'counted' }),
            make(created, { expiresAt: at + DAY }),
            make(created, { expiresAt: at + DAY, userId: 'other' }),
          ];
          for (const record of records) await store.create(record);
          assert.deepStrictEqual(await counter.countSessions(created), { live: 5, expired: 0 });
          assert.deepStrictEqual(await counter.countSessions(at), { live: 3, expired: 2 });
          await indexOf(store).deleteExpired(at);
          assert.deepStrictEqual(await counter.countSessions(at), { live: 3, expired: 0 });
          await store.delete(records[4]?.id ?? '');
          assert.deepStrictEqual(await counter.countSessions(at), { live: 2, expired: 0 });
        });

        it('deleteExpired follows the expiry a touch set', async ({ make, store, clock }) => {
          const record = make(clock.now(), { expiresAt: clock.now() + HOUR });
          await store.create(record);
          const now = clock.advance(30 * MINUTE);
          assert.equal(
            await store.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }),
            true,
          );
          const sweepAt = record.expiresAt + MINUTE;
          clock.set(sweepAt);
          assert.equal(await indexOf(store).deleteExpired(sweepAt), 0);
          assert.equal((await stored(store, record.id))?.version, 2);
        });
      });

    describe('authentication fields (authTime, amr)', () => {
      runAuthFieldScenarios(makeStore);
    });

    describe('under the session manager', () => {
      runManagerScenarios(makeStore, hasIndex, options.users ?? (() => Promise.resolve(AWKWARD_USERS)));
    });

    const { sweepBatches, silentServer: onSilentServer } = options;
    if (sweepBatches !== undefined) {
      test('deleteExpired works in batches of sweepBatchSize and removes every expired session', async () => {
        for (const [expired, batch] of [
          [10, 3],
          [9, 3],
          [2, 1],
          [0, 4],
        ] as const) {
          const runs: number[] = [];
          const { store, close } = await sweepBatches(batch, runs);
          try {
            const now = Date.now();
            const sweepAt = now + HOUR;
            for (let i = 0; i < expired; i++) {
              await store.create(makeRecord(now, { userId: 'u', expiresAt: sweepAt - i * MINUTE }));
            }
            const live = [1, 2, 3, 4].map((i) => makeRecord(now, { userId: 'u', expiresAt: sweepAt + i }));
            for (const record of live) await store.create(record);

            assert.equal(await indexOf(store).deleteExpired(sweepAt), expired);
            assert.ok(
              runs.every((changes) => changes <= batch),
              `batches ${runs.join(',')} exceed ${batch}`,
            );
            assert.equal(runs.length, Math.floor(expired / batch) + 1, `batches ${runs.join(',')}`);
            const left = await indexOf(store).listByUser('u');
            assert.deepStrictEqual(left.map((r) => r.id).sort(), live.map((r) => r.id).sort());
          } finally {
            await close?.();
          }
        }
      });
    }

    if (onSilentServer !== undefined) {
      test('a server that never answers: the store gives up after timeoutMs even on a client without limits', async () => {
        const silent = await silentServer();
        const clock = new ManualClock();
        const { store, close } = onSilentServer(silent.port, clock, 300);
        try {
          const manager = managerFor(store, clock);
          const started = performance.now();
          await assert.rejects(manager.validate(await tokenFor(clock)), { code: 'store_unavailable' });
          const elapsed = performance.now() - started;
          assert.ok(elapsed >= 250 && elapsed < 1500, `gave up after ${Math.round(elapsed)} ms`);
        } finally {
          await close?.();
          await silent.close();
        }
      });
    }
  });
}

/** A well-formed signed token for user `u-1`, made on a memory store (the store under test never saw it). */
async function tokenFor(clock: ManualClock): Promise<string> {
  const manager = managerFor(new MemoryStore({ clock }), clock);
  return (await manager.create('u-1')).token;
}

const ORIGIN = 'https://app.example';
const IDLE_SECONDS = HOUR / SECOND;
const ABSOLUTE_SECONDS = (4 * HOUR) / SECOND;
const TOUCH_SECONDS = MINUTE / SECOND;
const KEY = randomBytes(32);

function managerFor(store: SessionStore, clock: Clock): SessionManager<SessionUser> {
  return createSessionManager({
    store,
    origin: ORIGIN,
    keys: [KEY],
    clock,
    idleTimeoutSeconds: IDLE_SECONDS,
    absoluteTimeoutSeconds: ABSOLUTE_SECONDS,
    touchIntervalSeconds: TOUCH_SECONDS,
  });
}

/** "not found" is as good as "expired" for a store that drops expired sessions by itself. */
function assertEnded(result: { valid: boolean; reason?: string }, reason: 'idle_expired' | 'expired'): void {
  assert.equal(result.valid, false);
  assert.ok(
    result.reason === reason || result.reason === 'not_found',
    `expected ${reason} or not_found, got ${String(result.reason)}`,
  );
}

function runManagerScenarios(
  makeStore: MakeStore,
  hasIndex: boolean,
  users: () => Promise<readonly string[]>,
): void {
  type Run = (fixture: Fixture & { manager: SessionManager<SessionUser> }) => Promise<void>;
  const it = (title: string, run: Run): void => {
    test(title, () =>
      withStore(makeStore, (fixture) =>
        run({ ...fixture, manager: managerFor(fixture.store, fixture.clock) }),
      ),
    );
  };
  /** Scenarios that need the store's SessionIndex. */
  const indexed = (title: string, run: Run): void => {
    if (hasIndex) it(title, run);
  };

  it('create issues a cookie whose token validates to the session and its user', async ({
    store,
    manager,
    clock,
  }) => {
    const issued = await manager.create('u-1', { userAgent: 'TestAgent/1.0', ip: '192.0.2.1' });
    assert.match(issued.setCookie, /^__Host-cloakroom=/);
    assert.match(issued.setCookie, /HttpOnly/);
    assert.match(issued.setCookie, /Secure/);
    const token = manager.readToken(`theme=dark; __Host-cloakroom=${issued.token}`);
    assert.equal(token, issued.token);

    const result = await manager.validate(token);
    assert.ok(result.valid);
    assert.deepStrictEqual(result.session, issued.session);
    assert.deepStrictEqual(result.user, { id: 'u-1' });
    assert.equal(result.session.createdAt, clock.now());
    assert.equal(result.session.userAgent, 'TestAgent/1.0');
    assert.equal(result.session.ip, '192.0.2.1');

    // The store holds the hash of the secret, intact, and never the secret.
    const secret = issued.token.split('.')[1] ?? '';
    const record = await stored(store, issued.session.id);
    assert.ok(record !== undefined);
    assert.equal(
      Buffer.from(record.secretHash).toString('hex'),
      createHash('sha256').update(secret).digest('hex'),
    );
    assert.ok(!JSON.stringify(comparable(record)).includes(secret));
  });

  it('a token with the right id but another secret is refused', async ({ store, clock }) => {
    const unsigned = createSessionManager({ store, origin: ORIGIN, signed: false, clock });
    const issued = await unsigned.create('u-2');
    const [id, secret] = issued.token.split('.') as [string, string];
    const other = randomBytes(16).toString('base64url');
    assert.notEqual(other, secret);
    assert.deepStrictEqual(await unsigned.validate(`${id}.${other}`), {
      valid: false,
      reason: 'secret_mismatch',
    });
    assert.equal((await unsigned.validate(issued.token)).valid, true);
  });

  it('validate renews the idle expiry once per touch interval', async ({ store, manager, clock }) => {
    const issued = await manager.create('u-3');
    const start = clock.now();
    clock.advance(30 * SECOND);
    let result = await manager.validate(issued.token);
    assert.ok(result.valid);
    assert.equal(result.session.lastSeenAt, start);
    assert.equal((await stored(store, issued.session.id))?.version, 1);

    const now = clock.advance(31 * SECOND);
    result = await manager.validate(issued.token);
    assert.ok(result.valid);
    assert.equal(result.session.lastSeenAt, now);
    assert.equal(result.session.expiresAt, now + HOUR);
    const record = await stored(store, issued.session.id);
    assert.ok(record !== undefined);
    assert.equal(record.version, 2);
    assert.equal(record.lastSeenAt, now);
    assert.equal(record.expiresAt, now + HOUR);
  });

  it('an unused session ends at its idle expiry', async ({ manager, clock }) => {
    const issued = await manager.create('u-4');
    clock.advance(HOUR - 1);
    // This use renews the idle window: it now ends an hour from here.
    assert.equal((await manager.validate(issued.token)).valid, true);
    clock.advance(HOUR - 1);
    assert.equal((await manager.validate(issued.token)).valid, true);
    clock.advance(HOUR);
    assertEnded(await manager.validate(issued.token), 'idle_expired');
  });

  it('sliding renewal never passes the absolute lifetime', async ({ manager, clock }) => {
    const issued = await manager.create('u-5');
    const absolute = issued.session.absoluteExpiresAt;
    assert.equal(absolute, clock.now() + 4 * HOUR);
    while (clock.now() + 30 * MINUTE < absolute) {
      clock.advance(30 * MINUTE);
      const result = await manager.validate(issued.token);
      assert.ok(result.valid, `valid at ${clock.now() - issued.session.createdAt} ms`);
      assert.ok(result.session.expiresAt <= absolute);
    }
    clock.set(absolute - 1);
    const last = await manager.validate(issued.token);
    assert.ok(last.valid);
    assert.equal(last.session.expiresAt, absolute);
    clock.set(absolute);
    assertEnded(await manager.validate(issued.token), 'expired');
  });

  it('rotate issues a new token, ends the old one, and keeps the lifetime', async ({
    store,
    manager,
    clock,
  }) => {
    const issued = await manager.create('u-6', { userAgent: 'A', ip: '192.0.2.6' });
    clock.advance(10 * MINUTE);
    const rotated = await manager.rotate(issued.session);
    assert.ok(rotated !== null);
    assert.notEqual(rotated.session.id, issued.session.id);
    assert.notEqual(rotated.token, issued.token);
    assert.equal(rotated.session.createdAt, issued.session.createdAt);
    assert.equal(rotated.session.absoluteExpiresAt, issued.session.absoluteExpiresAt);
    assert.equal(rotated.session.userAgent, 'A');
    assert.deepStrictEqual(await manager.validate(issued.token), { valid: false, reason: 'not_found' });
    const result = await manager.validate(rotated.token);
    assert.ok(result.valid);
    assert.deepStrictEqual(result.user, { id: 'u-6' });
    assert.equal(await store.get(issued.session.id), null);
  });

  indexed("rotation leaves the successor alone in the user's list", async ({ manager }) => {
    const issued = await manager.create('u-6b');
    const rotated = await manager.rotate(issued.session);
    assert.ok(rotated !== null);
    assert.deepStrictEqual(
      (await manager.listUserSessions('u-6b')).map((session) => session.id),
      [rotated.session.id],
    );
  });

  it('rotate after revoke resolves to null and leaves no successor', async ({ store, manager }) => {
    const issued = await manager.create('u-7');
    await manager.revoke(issued.session.id);
    assert.equal(await manager.rotate(issued.session), null);
    assert.equal(await store.get(issued.session.id), null);
    if (store.index !== undefined) assert.deepStrictEqual(await store.index.listByUser('u-7'), []);
  });

  it('revoke ends one session at once and leaves the others', async ({ manager }) => {
    const a = await manager.create('u-8');
    const b = await manager.create('u-8');
    await manager.revoke(a.session.id);
    assert.deepStrictEqual(await manager.validate(a.token), { valid: false, reason: 'not_found' });
    assert.equal((await manager.validate(b.token)).valid, true);
    await manager.revoke(a.session.id);
  });

  it('a revocation racing a renewal is never undone', async ({ store, manager, clock }) => {
    const issued = await manager.create('u-9');
    clock.advance(2 * MINUTE);
    await Promise.all([manager.validate(issued.token), manager.revoke(issued.session.id)]);
    assert.equal(await store.get(issued.session.id), null);
    assert.deepStrictEqual(await manager.validate(issued.token), { valid: false, reason: 'not_found' });
  });

  indexed(
    'listUserSessions shows the live sessions, most recently used first',
    async ({ manager, clock }) => {
      const stale = await manager.create('u-10');
      clock.advance(50 * MINUTE);
      const older = await manager.create('u-10');
      clock.advance(5 * MINUTE);
      const newer = await manager.create('u-10');
      await manager.create('someone-else');
      clock.advance(10 * MINUTE); // `stale` is now past its idle expiry
      const listed = await manager.listUserSessions('u-10');
      assert.deepStrictEqual(
        listed.map((session) => session.id),
        [newer.session.id, older.session.id],
      );
      assert.ok(!listed.some((session) => session.id === stale.session.id));
    },
  );

  indexed('revokeUserSessions ends all but the current session, or all of them', async ({ manager }) => {
    const current = await manager.create('u-11');
    const others = [await manager.create('u-11'), await manager.create('u-11')];
    const stranger = await manager.create('u-12');
    assert.equal(await manager.revokeUserSessions('u-11', { except: current.session.id }), 2);
    assert.equal((await manager.validate(current.token)).valid, true);
    for (const other of others) {
      assert.deepStrictEqual(await manager.validate(other.token), { valid: false, reason: 'not_found' });
    }
    assert.equal((await manager.validate(stranger.token)).valid, true);

    assert.equal(await manager.revokeUserSessions('u-11'), 1);
    assert.deepStrictEqual(await manager.validate(current.token), { valid: false, reason: 'not_found' });
    assert.deepStrictEqual(await manager.listUserSessions('u-11'), []);
    assert.equal((await manager.validate(stranger.token)).valid, true);
  });

  indexed('sweepExpired removes only the expired sessions', async ({ store, manager, clock }) => {
    const old = await manager.create('u-13');
    clock.advance(30 * MINUTE);
    const fresh = await manager.create('u-13');
    clock.advance(30 * MINUTE); // `old` expires exactly now
    assert.equal(await manager.sweepExpired(), 1);
    assert.equal(await store.get(old.session.id), null);
    assert.equal((await manager.validate(fresh.token)).valid, true);
    assert.equal(await manager.sweepExpired(), 0);
  });

  indexed('revoke-all and rotate work for each of several users', async ({ manager, clock }) => {
    for (const userId of await users()) {
      const current = await manager.create(userId);
      const others = [await manager.create(userId), await manager.create(userId)];
      clock.advance(MINUTE);
      const rotated = await manager.rotate(current.session);
      assert.ok(rotated !== null, `rotate for ${userId}`);
      assert.deepStrictEqual(await manager.validate(current.token), { valid: false, reason: 'not_found' });
      assert.equal((await manager.validate(rotated.token)).valid, true);
      assert.equal(await manager.rotate(current.session), null, 'the old session rotates no more');

      assert.equal(await manager.revokeUserSessions(userId, { except: rotated.session.id }), 2, userId);
      for (const other of others) {
        assert.deepStrictEqual(await manager.validate(other.token), { valid: false, reason: 'not_found' });
      }
      assert.deepStrictEqual(
        (await manager.listUserSessions(userId)).map((s) => s.id),
        [rotated.session.id],
      );
      assert.equal(await manager.revokeUserSessions(userId), 1);
      assert.deepStrictEqual(await manager.validate(rotated.token), { valid: false, reason: 'not_found' });
      assert.deepStrictEqual(await manager.listUserSessions(userId), []);
    }
  });

  indexed(
    'a rotation racing revoke-all leaves no session, for each of several users',
    async ({ manager }) => {
      for (const userId of await users()) {
        const issued = await manager.create(userId);
        const [rotated] = await Promise.all([
          manager.rotate(issued.session),
          manager.revokeUserSessions(userId),
        ]);
        if (rotated !== null) {
          // The rotation ran first: revoke-all, atomic for the user, ended its successor too.
          assert.deepStrictEqual(await manager.validate(rotated.token), {
            valid: false,
            reason: 'not_found',
          });
        }
        assert.deepStrictEqual(await manager.listUserSessions(userId), []);
      }
    },
  );
}
