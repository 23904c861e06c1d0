// A store that fails must never read as "signed in", never as a silent sign-out, never as a crash, and must
// lose nothing: every session operation rejects with StoreUnavailableError (503 at the HTTP edge).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { httpErrorOf } from '../../src/errors.js';
import { StoreUnavailableError } from '../../src/stores/errors.js';
import { loadRequestSession, type RequestInfo } from '../../src/session/request-session.js';
import { createSessionManager, type SessionManager } from '../../src/session/manager.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type {
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from '../../src/stores/types.js';
import { ManualClock, MINUTE } from '../stores/conformance.js';

type Method =
  'get' | 'create' | 'touch' | 'replace' | 'delete' | 'listByUser' | 'deleteByUser' | 'deleteExpired';
type Fault = { mode: 'reject' | 'throw'; error: unknown };

/**
 * A MemoryStore behind a switchboard: a method set to fail either returns a rejected promise or throws
 * before returning one (a store bug the session layer must survive too). `heal()` brings it back.
 */
class FaultyStore implements SessionStore, SessionIndex {
  readonly index: SessionIndex = this;
  readonly inner: MemoryStore;
  readonly calls: Method[] = [];
  readonly #faults = new Map<Method, Fault>();

  constructor(clock: Clock) {
    this.inner = new MemoryStore({ clock });
  }

  fail(
    method: Method,
    mode: Fault['mode'] = 'reject',
    error: unknown = new Error(`${method} failed: connection reset`),
  ) {
    this.#faults.set(method, { mode, error });
    return error;
  }

  heal(): void {
    this.#faults.clear();
  }

  #call<T>(method: Method, run: () => Promise<T>): Promise<T> {
    this.calls.push(method);
    const fault = this.#faults.get(method);
    if (fault === undefined) return run();
    if (fault.mode === 'throw') throw fault.error;
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- stores may reject with anything
    return Promise.reject(fault.error);
  }

  get(id: string): Promise<StoredSession<SessionUser> | null> {
    return this.#call('get', () => this.inner.get(id));
  }

  create(session: SessionRecord): Promise<void> {
    return this.#call('create', () => this.inner.create(session));
  }

  touch(id: string, touch: SessionTouch): Promise<boolean> {
    return this.#call('touch', () => this.inner.touch(id, touch));
  }

  replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    return this.#call('replace', () => this.inner.replace(id, version, next));
  }

  delete(id: string): Promise<void> {
    return this.#call('delete', () => this.inner.delete(id));
  }

  listByUser(userId: string): Promise<SessionRecord[]> {
    return this.#call('listByUser', () => this.inner.listByUser(userId));
  }

  deleteByUser(userId: string, options?: { except?: string }): Promise<number> {
    return this.#call('deleteByUser', () => this.inner.deleteByUser(userId, options));
  }

  deleteExpired(now: number): Promise<number> {
    return this.#call('deleteExpired', () => this.inner.deleteExpired(now));
  }
}

function setup(): { store: FaultyStore; clock: ManualClock; manager: SessionManager<SessionUser> } {
  const clock = new ManualClock();
  const store = new FaultyStore(clock);
  const manager = createSessionManager({
    store,
    origin: 'https://app.example',
    keys: ['k'.repeat(32)],
    clock,
  });
  return { store, clock, manager };
}

/** Asserts a store_unavailable rejection that carries the store's own error as its cause. */
function storeUnavailable(cause: unknown) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(error)}`);
    assert.equal(error.code, 'store_unavailable');
    assert.equal(error.cause, cause);
    assert.equal(httpErrorOf(error)?.status, 503);
    return true;
  };
}

function requestWith(cookie: string | null, method = 'GET'): RequestInfo {
  return {
    method,
    cookie,
    origin: 'https://app.example',
    secFetchSite: 'same-origin',
    userAgent: 'UA',
    ip: '192.0.2.1',
  };
}

const modes = ['reject', 'throw'] as const;

describe('a failing store', () => {
  for (const mode of modes) {
    test(`validate rejects when get fails (${mode}), and never reads as valid`, async () => {
      const { store, manager } = setup();
      const issued = await manager.create('u-1');
      const cause = store.fail('get', mode);
      await assert.rejects(manager.validate(issued.token), storeUnavailable(cause));
      store.heal();
      assert.equal((await manager.validate(issued.token)).valid, true);
    });

    test(`validate rejects when the renewal touch fails (${mode}), and the session survives`, async () => {
      const { store, clock, manager } = setup();
      const issued = await manager.create('u-1');
      clock.advance(5 * MINUTE); // past the touch interval: this validation writes
      const cause = store.fail('touch', mode);
      await assert.rejects(manager.validate(issued.token), storeUnavailable(cause));
      assert.deepStrictEqual(store.calls.slice(-2), ['get', 'touch']);
      store.heal();
      const result = await manager.validate(issued.token);
      assert.ok(result.valid);
      assert.equal(result.session.lastSeenAt, clock.now());
      assert.equal((await store.inner.get(issued.session.id))?.session.version, 2);
    });
  }

  test('validate rejects when the touch lost a race and the re-read fails', async () => {
    const { store, clock, manager } = setup();
    const issued = await manager.create('u-1');
    clock.advance(5 * MINUTE);
    // Another request renews the session between this validation's read and its touch; then the store fails.
    const cause = new Error('read timeout');
    const realGet = store.get.bind(store);
    let reads = 0;
    store.get = async (id) => {
      reads++;
      if (reads === 2) throw cause;
      const found = await realGet(id);
      if (reads === 1 && found !== null) {
        const now = clock.now();
        await store.inner.touch(id, {
          lastSeenAt: now,
          expiresAt: now + 7 * 24 * 60 * MINUTE,
          version: found.session.version,
        });
      }
      return found;
    };
    await assert.rejects(manager.validate(issued.token), storeUnavailable(cause));
    assert.equal(reads, 2);
  });

  test('a failure is reported even when the store rejects with something that is not an Error', async () => {
    const { store, manager } = setup();
    const issued = await manager.create('u-1');
    store.fail('get', 'reject', 'ECONNREFUSED');
    await assert.rejects(manager.validate(issued.token), storeUnavailable('ECONNREFUSED'));
  });

  for (const mode of modes) {
    test(`create rejects when the store fails (${mode}), and no cookie is issued`, async () => {
      const { store, manager } = setup();
      const cause = store.fail('create', mode);
      await assert.rejects(manager.create('u-1'), storeUnavailable(cause));

      const cookies: string[] = [];
      const request = await loadRequestSession(manager, requestWith(null, 'POST'), (value) =>
        cookies.push(value),
      );
      await assert.rejects(request.signIn('u-1'), storeUnavailable(cause));
      assert.deepStrictEqual([...cookies], []);
      assert.equal(request.session, null);
      store.heal();
      assert.deepStrictEqual(await store.inner.listByUser('u-1'), []);
    });
  }

  test('a failed sign-in keeps the session the request came with', async () => {
    const { store, manager } = setup();
    const before = await manager.create('u-1');
    const cookies: string[] = [];
    const request = await loadRequestSession(
      manager,
      requestWith(`__Host-cloakroom=${before.token}`, 'POST'),
      (value) => cookies.push(value),
    );
    assert.equal(request.session?.id, before.session.id);
    const cause = store.fail('create');
    await assert.rejects(request.signIn('u-2'), storeUnavailable(cause));
    assert.deepStrictEqual([...cookies], []);
    store.heal();
    assert.equal((await manager.validate(before.token)).valid, true);
  });

  for (const mode of modes) {
    test(`revoke rejects when the store fails (${mode}), never reporting success`, async () => {
      const { store, manager } = setup();
      const issued = await manager.create('u-1');
      const cause = store.fail('delete', mode);
      await assert.rejects(manager.revoke(issued.session.id), storeUnavailable(cause));

      const cookies: string[] = [];
      const request = await loadRequestSession(
        manager,
        requestWith(`__Host-cloakroom=${issued.token}`, 'POST'),
        (value) => cookies.push(value),
      );
      await assert.rejects(request.signOut(), storeUnavailable(cause));
      // No clear-cookie: the browser keeps its cookie, so signing out can simply be tried again.
      assert.deepStrictEqual([...cookies], []);

      store.heal();
      assert.equal((await manager.validate(issued.token)).valid, true);
      await manager.revoke(issued.session.id);
      assert.deepStrictEqual(await manager.validate(issued.token), { valid: false, reason: 'not_found' });
    });
  }

  test("revoking all of a user's sessions rejects when the store fails", async () => {
    const { store, manager } = setup();
    const a = await manager.create('u-1');
    const b = await manager.create('u-1');
    const cause = store.fail('deleteByUser', 'throw');
    await assert.rejects(manager.revokeUserSessions('u-1'), storeUnavailable(cause));
    await assert.rejects(
      manager.revokeUserSessions('u-1', { except: a.session.id }),
      storeUnavailable(cause),
    );
    store.heal();
    assert.equal((await manager.validate(a.token)).valid, true);
    assert.equal((await manager.validate(b.token)).valid, true);
  });

  test('rotation rejects when the swap fails, and the old session stays valid', async () => {
    const { store, manager } = setup();
    const issued = await manager.create('u-1');
    const cause = store.fail('replace');
    await assert.rejects(manager.rotate(issued.session), storeUnavailable(cause));
    store.heal();
    assert.equal((await manager.validate(issued.token)).valid, true);
    assert.equal((await store.inner.listByUser('u-1')).length, 1);
  });

  test('listing and sweeping reject when the store fails', async () => {
    const { store, manager } = setup();
    await manager.create('u-1');
    const listCause = store.fail('listByUser', 'throw');
    await assert.rejects(manager.listUserSessions('u-1'), storeUnavailable(listCause));
    const sweepCause = store.fail('deleteExpired');
    await assert.rejects(manager.sweepExpired(), storeUnavailable(sweepCause));
    store.heal();
    assert.equal((await manager.listUserSessions('u-1')).length, 1);
  });

  test("loading a request's session rejects and does not clear the cookie", async () => {
    const { store, manager } = setup();
    const issued = await manager.create('u-1');
    const cause = store.fail('get', 'throw');
    const cookies: string[] = [];
    await assert.rejects(
      loadRequestSession(manager, requestWith(`__Host-cloakroom=${issued.token}`), (value) =>
        cookies.push(value),
      ),
      storeUnavailable(cause),
    );
    assert.deepStrictEqual([...cookies], []);
    store.heal();
    const request = await loadRequestSession(
      manager,
      requestWith(`__Host-cloakroom=${issued.token}`),
      (value) => cookies.push(value),
    );
    assert.equal(request.session?.id, issued.session.id);
    assert.deepStrictEqual(request.user, { id: 'u-1' });
    assert.deepStrictEqual([...cookies], []);
  });

  test('refusals that need no store do not touch it', async () => {
    const { store, manager } = setup();
    for (const method of ['get', 'touch', 'create'] as const) store.fail(method, 'throw');
    assert.deepStrictEqual(await manager.validate(null), { valid: false, reason: 'missing' });
    assert.deepStrictEqual(await manager.validate('garbage'), { valid: false, reason: 'malformed' });
    const forged = `${'A'.repeat(16)}.${'B'.repeat(22)}.${'C'.repeat(22)}`;
    assert.deepStrictEqual(await manager.validate(forged), { valid: false, reason: 'bad_signature' });
    assert.deepStrictEqual(store.calls, []);
  });
});
