// The store conformance scenarios for a session's authentication fields (`authTime`, `amr`): kept exactly,
// checked on write, defaulted for records written before they existed, and carried through rotation and
// re-authentication under the session manager. Registered by runStoreConformance for every store.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createSessionManager } from '../../src/session/manager.js';
import type { SessionRecord, SessionStore } from '../../src/stores/types.js';
import { assertSameRecord, HOUR, makeRecordFor, ManualClock, MINUTE, type MakeStore } from './conformance.js';

const KEY = randomBytes(32);

/** Values a store must refuse to write: each create rejects and stores nothing. */
const GARBAGE: readonly [string, Partial<Record<'authTime' | 'amr', unknown>>][] = [
  ['an amr value with a space', { amr: ['pwd otp'] }],
  ['an empty amr value', { amr: [''] }],
  ['an amr value of 33 characters', { amr: ['x'.repeat(33)] }],
  ['an amr value with a control character', { amr: ['pwd\n'] }],
  ['nine amr values', { amr: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] }],
  ['an amr that is a string', { amr: 'pwd' }],
  ['an amr value that is a number', { amr: [1] }],
  ['a negative authTime', { authTime: -1 }],
  ['a fractional authTime', { authTime: 1.5 }],
  ['a missing authTime', { authTime: undefined }],
];

export function runAuthFieldScenarios(makeStore: MakeStore): void {
  const it = (
    title: string,
    run: (fixture: {
      store: SessionStore;
      clock: ManualClock;
      writeLegacy: ((record: SessionRecord) => Promise<void>) | undefined;
    }) => Promise<void>,
  ): void => {
    test(title, async () => {
      const clock = new ManualClock();
      const { store, close, writeLegacy } = await makeStore(clock);
      try {
        await run({ store, clock, writeLegacy });
      } finally {
        await close?.();
      }
    });
  };

  it('keeps authTime and amr exactly: none, the longest list, and through touch and replace', async ({
    store,
    clock,
  }) => {
    const now = clock.now();
    const none = makeRecordFor(store, now, { authTime: now, amr: [] });
    const longest = makeRecordFor(store, now, {
      authTime: now - 9 * MINUTE,
      amr: ['pwd', 'otp', 'hwk', 'swk', 'fed', 'mfa', 'x'.repeat(32), 'a_b.c-9'],
    });
    for (const record of [none, longest]) {
      await store.create(record);
      assertSameRecord((await store.get(record.id))?.session, record);
    }
    const touch = { lastSeenAt: now + MINUTE, expiresAt: now + 2 * HOUR, version: 1 };
    assert.equal(await store.touch(longest.id, touch), true);
    assertSameRecord((await store.get(longest.id))?.session, { ...longest, ...touch, version: 2 });
    const next = makeRecordFor(store, now, { userId: none.userId, authTime: now + MINUTE, amr: ['fed'] });
    assert.equal(await store.replace(none.id, 1, next), true);
    assertSameRecord((await store.get(next.id))?.session, next);
    if (store.index !== undefined) {
      const listed = await store.index.listByUser(longest.userId);
      assert.deepStrictEqual(
        listed.map(({ authTime, amr }) => ({ authTime, amr: [...amr] })),
        [{ authTime: longest.authTime, amr: [...longest.amr] }],
      );
    }
  });

  it('refuses to write garbage in authTime or amr, and stores nothing', async ({ store, clock }) => {
    for (const [what, fields] of GARBAGE) {
      const record = { ...makeRecordFor(store, clock.now()), ...fields } as SessionRecord;
      await assert.rejects(store.create(record), TypeError, what);
      assert.equal(await store.get(record.id), null, what);
    }
    const live = makeRecordFor(store, clock.now());
    await store.create(live);
    const bad = { ...makeRecordFor(store, clock.now(), { userId: live.userId }), amr: ['a b'] };
    await assert.rejects(store.replace(live.id, 1, bad), TypeError);
    assertSameRecord((await store.get(live.id))?.session, live);
    assert.equal(await store.get(bad.id), null);
  });

  it('a record written before authTime and amr existed reads back with authTime = createdAt, amr = []', async ({
    store,
    clock,
    writeLegacy,
  }) => {
    if (writeLegacy === undefined) return; // an in-process store has no records from an older version
    const now = clock.now();
    const old = makeRecordFor(store, now - 5 * MINUTE, { expiresAt: now + HOUR });
    await writeLegacy(old);
    const expected = { ...old, authTime: old.createdAt, amr: [] };
    assertSameRecord((await store.get(old.id))?.session, expected);
    // It still renews and rotates: the manager's rotation keeps the defaults, re-authentication replaces them.
    const touch = { lastSeenAt: now, expiresAt: now + 2 * HOUR, version: old.version };
    assert.equal(await store.touch(old.id, touch), true);
    assertSameRecord((await store.get(old.id))?.session, { ...expected, ...touch, version: old.version + 1 });
    const next = makeRecordFor(store, now, { userId: old.userId });
    assert.equal(await store.replace(old.id, old.version + 1, next), true);
    assertSameRecord((await store.get(next.id))?.session, next);
  });

  it('under the session manager: sign-in records amr, rotation keeps it, re-authentication adds to it', async ({
    store,
    clock,
  }) => {
    const manager = createSessionManager({ store, origin: 'https://app.example', keys: [KEY], clock });
    const signedInAt = clock.now();
    const issued = await manager.create('ada', {}, { auth: { amr: ['pwd'] } });
    assert.deepStrictEqual([issued.session.authTime, [...issued.session.amr]], [signedInAt, ['pwd']]);
    clock.advance(5 * MINUTE);
    const rotated = await manager.rotate(issued.session);
    assert.ok(rotated !== null);
    assert.deepStrictEqual([rotated.session.authTime, [...rotated.session.amr]], [signedInAt, ['pwd']]);
    const read = await manager.validate(rotated.token);
    assert.ok(read.valid);
    assert.deepStrictEqual([read.session.authTime, [...read.session.amr]], [signedInAt, ['pwd']]);
    clock.advance(MINUTE);
    const again = await manager.rotate(rotated.session, {}, { auth: { amr: ['otp'] } });
    assert.ok(again !== null);
    assert.equal((await manager.validate(rotated.token)).valid, false, 'the old token stops working');
    const fresh = await manager.validate(again.token);
    assert.ok(fresh.valid);
    assert.equal(fresh.session.authTime, clock.now());
    assert.deepStrictEqual([...fresh.session.amr], ['pwd', 'otp', 'mfa']);
    assert.equal(fresh.session.createdAt, signedInAt, 'creation time and absolute expiry are kept');
    assert.equal(fresh.session.absoluteExpiresAt, issued.session.absoluteExpiresAt);
  });
}
