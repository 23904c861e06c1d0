// instrumentStore: a store wrapper that answers as its store does (the conformance suite) and times each call
// per operation, backend and outcome.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instrumentStore, METRICS } from '../../src/metrics/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { SessionStore } from '../../src/stores/types.js';
import { RecordingMetrics } from '../helpers/recording-metrics.js';
import { makeRecord, ManualClock, runStoreConformance } from '../stores/conformance.js';

const NAME = METRICS.storeOperationSeconds.name;

runStoreConformance('instrumentStore(MemoryStore)', (clock) =>
  Promise.resolve({
    store: instrumentStore(new MemoryStore({ clock }), {
      backend: 'memory',
      metrics: new RecordingMetrics(),
    }),
    close: () => Promise.resolve(),
  }),
);

describe('instrumentStore', () => {
  test('times every operation by operation, backend and outcome', async () => {
    const clock = new ManualClock();
    const metrics = new RecordingMetrics();
    const store = instrumentStore(new MemoryStore({ clock }), { backend: 'memory', metrics });
    const record = makeRecord(clock.now());
    await store.create(record);
    await store.get(record.id);
    await store.get('missing');
    await store.touch(record.id, {
      lastSeenAt: clock.now(),
      expiresAt: record.expiresAt,
      version: record.version,
    });
    await store.index?.listByUser(record.userId);
    await store.index?.deleteExpired(clock.now());
    await store.delete(record.id);
    const ok = (operation: string) => metrics.observed(NAME, { operation, backend: 'memory', outcome: 'ok' });
    assert.equal(ok('create').length, 1);
    assert.equal(ok('get').length, 2);
    assert.equal(ok('touch').length, 1);
    assert.equal(ok('list_by_user').length, 1);
    assert.equal(ok('delete_expired').length, 1);
    assert.equal(ok('delete').length, 1);
    for (const value of ok('get')) assert.ok(value >= 0 && value < 60, `a latency in seconds: ${value}`);
  });

  test('the immediate read is forwarded and timed', async () => {
    const clock = new ManualClock();
    const metrics = new RecordingMetrics();
    const memory = new MemoryStore({ clock });
    assert.ok(memory.immediate !== undefined, 'the memory store answers immediately');
    const store = instrumentStore(memory, { backend: 'memory', metrics });
    const record = makeRecord(clock.now());
    await store.create(record);
    const found = store.immediate?.getNow(record.id);
    assert.ok(found !== undefined && found !== null && !('then' in found), 'answered without a promise');
    assert.equal(found.session.id, record.id);
    assert.equal(metrics.observed(NAME, { operation: 'get', backend: 'memory', outcome: 'ok' }).length, 1);
  });

  test('a failure is recorded as an error and rejects with the same error', async () => {
    const metrics = new RecordingMetrics();
    const failure = new Error('connection reset');
    const failing: SessionStore = {
      get: () => Promise.reject(failure),
      create: () => Promise.reject(failure),
      touch: () => Promise.reject(failure),
      replace: () => Promise.reject(failure),
      delete: () => Promise.reject(failure),
    };
    const store = instrumentStore(failing, { backend: 'redis', metrics });
    await assert.rejects(store.get('x'), (error) => error === failure);
    await assert.rejects(store.delete('x'), (error) => error === failure);
    assert.equal(metrics.observed(NAME, { operation: 'get', backend: 'redis', outcome: 'error' }).length, 1);
    assert.equal(
      metrics.observed(NAME, { operation: 'delete', backend: 'redis', outcome: 'error' }).length,
      1,
    );
    assert.equal(metrics.observed(NAME, { operation: 'get', backend: 'redis', outcome: 'ok' }).length, 0);
    assert.equal(store.index, undefined, 'no index when the store has none');
  });

  test('refuses a backend name that is not a short label', () => {
    for (const backend of ['', 'Redis', 'redis://user:secret@host', 'a'.repeat(33), 5]) {
      assert.throws(
        () => instrumentStore(new MemoryStore(), { backend: backend as string }),
        TypeError,
        String(backend),
      );
    }
  });
});
