// Validation over a store that answers at once (SessionStore.immediate, the memory store) takes a synchronous
// path; it must give exactly what the promise-based path gives, failures included.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { StoreUnavailableError } from '../../src/stores/errors.js';
import { createSessionManager } from '../../src/session/manager.js';
import { MemoryStore, type MemoryStoreOptions } from '../../src/stores/memory.js';
import type { SessionStore, SessionUser, StoredSession } from '../../src/stores/types.js';
import { ManualClock, MINUTE } from '../stores/conformance.js';

const KEY = randomBytes(32);

/** The same memory store without its `immediate` ability: validation has to await `get`. */
function promiseOnly<U>(store: MemoryStore<U>): SessionStore<U> {
  return {
    get: (id) => store.get(id),
    create: (session) => store.create(session),
    touch: (id, touch) => store.touch(id, touch),
    replace: (id, version, next) => store.replace(id, version, next),
    delete: (id) => store.delete(id),
  };
}

function setup(loadUser?: MemoryStoreOptions<SessionUser>['loadUser']) {
  const clock = new ManualClock();
  const store = new MemoryStore<SessionUser>({ clock, ...(loadUser ? { loadUser } : {}) });
  const options = { origin: 'https://example.com', keys: [KEY], clock, touchIntervalSeconds: 60 };
  return {
    clock,
    store,
    immediate: createSessionManager({ ...options, store }),
    awaited: createSessionManager({ ...options, store: promiseOnly(store) }),
  };
}

describe('validation over a store that answers at once', () => {
  test('the memory store offers the ability and getNow agrees with get', async () => {
    const { store, immediate } = setup();
    assert.equal(store.immediate, store);
    const issued = await immediate.create('user-1');
    const now = store.getNow(issued.session.id) as StoredSession<SessionUser> | null;
    assert.ok(now !== null && !(now instanceof Promise));
    assert.deepStrictEqual(now, await store.get(issued.session.id));
    assert.equal(store.getNow('AAAAAAAAAAAAAAAA'), null);
  });

  test('gives the same results as the awaited path, renewal included', async () => {
    const { clock, immediate, awaited } = setup();
    const issued = await immediate.create('user-1', { userAgent: 'Firefox', ip: '203.0.113.9' });
    const [id, secret] = issued.token.split('.') as [string, string];
    const tokens = [
      issued.token,
      `${id}.${secret}`,
      `${id}.${'A'.repeat(22)}.${issued.token.split('.')[2] ?? ''}`,
      'garbage',
      '',
      null,
    ];
    for (const token of tokens) {
      assert.deepStrictEqual(await immediate.validate(token), await awaited.validate(token), String(token));
    }
    clock.advance(2 * MINUTE); // a renewal is due: the immediate path writes it like the other
    const renewed = await immediate.validate(issued.token);
    assert.ok(renewed.valid);
    assert.equal(renewed.session.lastSeenAt, clock.now());
    assert.deepStrictEqual(await awaited.validate(issued.token), renewed);
  });

  test('a user loader that throws rejects with store_unavailable, never throws out of validate', async () => {
    const { immediate } = setup(() => {
      throw new Error('user database down');
    });
    const issued = await immediate.create('user-1');
    let pending: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      pending = immediate.validate(issued.token);
    });
    await assert.rejects(pending!, (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.equal(error.code, 'store_unavailable');
      return true;
    });
  });

  test('an asynchronous user loader is awaited, and its rejection is store_unavailable', async () => {
    let fail = false;
    const { immediate } = setup((userId) =>
      fail ? Promise.reject(new Error('user database down')) : Promise.resolve({ id: userId }),
    );
    const issued = await immediate.create('user-1');
    const result = await immediate.validate(issued.token);
    assert.ok(result.valid);
    assert.deepStrictEqual(result.user, { id: 'user-1' });
    fail = true;
    await assert.rejects(immediate.validate(issued.token), StoreUnavailableError);
  });
});
