import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSessionManager } from '../../src/session/manager.js';
import { MemoryStore } from '../../src/stores/memory.js';
import {
  assertSameRecord,
  HOUR,
  makeRecord,
  ManualClock,
  MINUTE,
  randomId,
  runStoreConformance,
} from './conformance.js';

runStoreConformance('MemoryStore', (clock) => Promise.resolve({ store: new MemoryStore({ clock }) }));

describe('MemoryStore', () => {
  test('rejects a max that is not a positive integer', () => {
    for (const max of [0, -1, 1.5, Number.NaN]) assert.throws(() => new MemoryStore({ max }), TypeError);
  });

  test('evicts the least recently used session at max, and its user index entry with it', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ max: 2, clock });
    const a = makeRecord(clock.now(), { userId: 'alice' });
    const b = makeRecord(clock.now(), { userId: 'alice' });
    const c = makeRecord(clock.now(), { userId: 'bob' });
    await store.create(a);
    await store.create(b);
    await store.get(a.id); // a is now more recently used than b
    await store.create(c);
    assert.equal(store.size, 2);
    assert.equal(await store.get(b.id), null);
    assertSameRecord((await store.get(a.id))?.session, a);
    assert.deepStrictEqual(
      (await store.listByUser('alice')).map((r) => r.id),
      [a.id],
    );

    // Had b's id stayed in alice's index, a new session under that id would show up as hers.
    await store.delete(c.id);
    const reused = makeRecord(clock.now(), { id: b.id, userId: 'mallory' });
    await store.create(reused);
    assert.deepStrictEqual(
      (await store.listByUser('alice')).map((r) => r.id),
      [a.id],
    );
    assert.equal(await store.deleteByUser('alice'), 1);
    assertSameRecord((await store.get(b.id))?.session, reused);
  });

  test('expires sessions by the injected clock, with no waiting', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const record = makeRecord(clock.now(), { expiresAt: clock.now() + HOUR });
    await store.create(record);
    clock.advance(HOUR - 1);
    assertSameRecord((await store.get(record.id))?.session, record);
    clock.advance(2);
    assert.equal(await store.get(record.id), null);
    assert.deepStrictEqual(await store.listByUser(record.userId), []);
    assert.equal(store.size, 0);
  });

  test('a touch moves the expiry the clock is checked against', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const record = makeRecord(clock.now(), { expiresAt: clock.now() + HOUR });
    await store.create(record);
    const now = clock.advance(30 * MINUTE);
    assert.equal(await store.touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }), true);
    clock.set(record.expiresAt + MINUTE);
    assert.equal((await store.get(record.id))?.session.version, 2);
    clock.set(now + HOUR + 1);
    assert.equal(await store.get(record.id), null);
  });

  test("an expired session still held under an id does not stay in its user's index when the id is reused", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const old = makeRecord(clock.now(), { userId: 'alice', expiresAt: clock.now() + MINUTE });
    await store.create(old);
    clock.advance(2 * MINUTE); // expired, but nothing has read or purged it yet
    const reused = makeRecord(clock.now(), { id: old.id, userId: 'bob' });
    await store.create(reused);
    assert.deepStrictEqual(await store.listByUser('alice'), []);
    assert.equal(await store.deleteByUser('alice'), 0);
    assertSameRecord((await store.get(old.id))?.session, reused);
  });

  test('deleteExpired sweeps by its argument, and the swept sessions leave the user index', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const now = clock.now();
    const gone = makeRecord(now, { userId: 'carol', expiresAt: now + MINUTE });
    const kept = makeRecord(now, { userId: 'carol', expiresAt: now + HOUR });
    await store.create(gone);
    await store.create(kept);
    // The argument decides, even before the store's own clock has got there.
    assert.equal(await store.deleteExpired(now + MINUTE), 1);
    assert.equal(store.size, 1);
    assert.deepStrictEqual(
      (await store.listByUser('carol')).map((r) => r.id),
      [kept.id],
    );
  });

  test('loadUser supplies the user, and null when it no longer exists', async () => {
    const clock = new ManualClock();
    const users = new Map([['u-1', { id: 'u-1', name: 'Ada' }]]);
    const store = new MemoryStore({ clock, loadUser: (id) => Promise.resolve(users.get(id) ?? null) });
    const manager = createSessionManager({
      store,
      origin: 'https://app.example',
      keys: [randomId().repeat(3)],
      clock,
    });
    const issued = await manager.create('u-1');
    const result = await manager.validate(issued.token);
    assert.ok(result.valid);
    assert.deepStrictEqual(result.user, { id: 'u-1', name: 'Ada' });
    users.delete('u-1');
    assert.deepStrictEqual(await manager.validate(issued.token), { valid: false, reason: 'user_not_found' });
  });
});
