// The session-store wrapper that ends refresh-token families with their sessions: every way a session ends
// reaches the families, they are revoked before the session goes, and the store's own abilities pass through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RefreshTokens } from '../../../src/tokens/issuer/refresh.js';
import { revokeRefreshTokensWithSessions } from '../../../src/tokens/issuer/session-revocation.js';
import type { FamilySelector } from '../../../src/tokens/issuer/types.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import type { SessionRecord } from '../../../src/stores/types.js';

function recorder(fail = false) {
  const calls: [FamilySelector, string][] = [];
  const refresh = {
    revokeFamilies: (selector: FamilySelector, reason: string) => {
      calls.push([selector, reason]);
      return fail ? Promise.reject(new Error('tokens store down')) : Promise.resolve(0);
    },
  } as unknown as RefreshTokens;
  return { calls, refresh };
}

const record = (id: string, userId: string): SessionRecord => ({
  id,
  userId,
  secretHash: new Uint8Array(32),
  createdAt: 0,
  lastSeenAt: 0,
  expiresAt: Date.now() + 60_000,
  absoluteExpiresAt: Date.now() + 60_000,
  userAgent: null,
  ip: null,
  authTime: 0,
  amr: [],
  version: 1,
});

test('delete, replace and deleteByUser revoke the matching families, with their reasons', async () => {
  const inner = new MemoryStore();
  const { calls, refresh } = recorder();
  const store = revokeRefreshTokensWithSessions(inner, refresh);
  await store.create(record('s1', 'u1'));
  await store.create(record('s2', 'u1'));
  await store.create(record('s3', 'u1'));

  await store.delete('s1');
  assert.deepEqual(calls.pop(), [{ sessionId: 's1' }, 'session_ended']);
  assert.equal(await inner.get('s1'), null);

  assert.equal(await store.replace('s2', 1, record('s2b', 'u1')), true);
  assert.deepEqual(calls.pop(), [{ sessionId: 's2' }, 'session_ended']);

  assert.equal(await store.index!.deleteByUser('u1', { except: 's3' }), 1);
  assert.deepEqual(calls.pop(), [{ userId: 'u1', exceptSessionId: 's3' }, 'user_sessions_ended']);
  assert.equal(await store.index!.deleteByUser('u1'), 1);
  assert.deepEqual(calls.pop(), [{ userId: 'u1' }, 'user_sessions_ended']);
  assert.equal(calls.length, 0);

  // Reads and touches do not revoke anything.
  await store.get('s3');
  await store.index!.listByUser('u1');
  assert.equal(calls.length, 0);
});

test('when the families cannot be revoked, the session is not deleted either (never live tokens of a dead session)', async () => {
  const inner = new MemoryStore();
  const { refresh } = recorder(true);
  const store = revokeRefreshTokensWithSessions(inner, refresh);
  await store.create(record('s1', 'u1'));
  await assert.rejects(store.delete('s1'), /tokens store down/);
  assert.notEqual(await inner.get('s1'), null);
  await assert.rejects(store.index!.deleteByUser('u1'), /tokens store down/);
  assert.notEqual(await inner.get('s1'), null);
});

test("the store's optional id tag passes through", () => {
  const inner = new MemoryStore();
  const tagged = Object.assign(Object.create(inner) as MemoryStore, {
    sessionIdTag: (userId: string) => `t${userId}`,
  });
  const store = revokeRefreshTokensWithSessions(tagged, recorder().refresh);
  assert.equal(store.sessionIdTag?.('x'), 'tx');
  assert.equal('sessionIdTag' in revokeRefreshTokensWithSessions(inner, recorder().refresh), false);
});

test("the store's synchronous read passes through (reads never revoke anything)", async () => {
  const inner = new MemoryStore();
  const { calls, refresh } = recorder();
  const store = revokeRefreshTokensWithSessions(inner, refresh);
  await store.create(record('s1', 'u1'));
  assert.equal(store.immediate, inner.immediate);
  assert.equal((store.immediate?.getNow('s1') as { session: SessionRecord } | null)?.session.id, 's1');
  assert.equal(calls.length, 0);
  const { immediate: _, ...asynchronous } = inner;
  void _;
  assert.equal('immediate' in revokeRefreshTokensWithSessions(asynchronous as typeof inner, refresh), false);
});
