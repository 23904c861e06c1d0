// What the session manager, the near-cache and the events adapter record to a Metrics: validations by
// outcome, near-cache hits and misses, invalidations received and their fan-out delay, sign-ins by outcome.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { countEvents, METRICS } from '../../src/metrics/index.js';
import { createSessionManager } from '../../src/session/manager.js';
import { StoreUnavailableError } from '../../src/lib/store-unavailable.js';
import {
  CachedStore,
  LocalInvalidator,
  type InvalidationHandler,
  type InvalidationMessage,
  type Invalidator,
} from '../../src/stores/cached/index.js';
import { decodeMessage, encodeMessage } from '../../src/stores/cached/message.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { SessionStore } from '../../src/stores/types.js';
import { RecordingMetrics } from '../helpers/recording-metrics.js';
import { ManualClock } from '../stores/conformance.js';

const KEYS = [randomBytes(32)];
const ORIGIN = 'https://app.example';
const VALIDATIONS = METRICS.sessionValidations.name;

/** Delivers published messages only when the test says so, so the clock can move in between. */
class HeldInvalidator implements Invalidator {
  readonly handlers = new Set<InvalidationHandler>();
  readonly held: InvalidationMessage[] = [];

  publish(message: InvalidationMessage): Promise<void> {
    this.held.push(message);
    return Promise.resolve();
  }

  subscribe(handler: InvalidationHandler): Promise<() => Promise<void>> {
    this.handlers.add(handler);
    handler({ type: 'ready' });
    return Promise.resolve(() => Promise.resolve());
  }

  deliver(): void {
    for (const message of this.held.splice(0)) {
      for (const handler of this.handlers) handler({ type: 'message', message });
    }
  }
}

describe('session validation metrics', () => {
  test('counts validations by outcome, the store failure included', async () => {
    const metrics = new RecordingMetrics();
    const clock = new ManualClock();
    const sessions = createSessionManager({
      store: new MemoryStore({ clock }),
      origin: ORIGIN,
      keys: KEYS,
      clock,
      metrics,
    });
    const { token } = await sessions.create('user-1');
    await sessions.validate(token);
    await sessions.validate(token);
    await sessions.validate(null);
    await sessions.validate('garbage');
    await sessions.validate(`${token.slice(0, -2)}AA`);
    assert.equal(metrics.count(VALIDATIONS, { outcome: 'valid' }), 2);
    assert.equal(metrics.count(VALIDATIONS, { outcome: 'missing' }), 1);
    assert.equal(metrics.count(VALIDATIONS, { outcome: 'malformed' }), 1);
    assert.equal(metrics.count(VALIDATIONS, { outcome: 'bad_signature' }), 1);

    const broken: SessionStore = {
      get: () => Promise.reject(new Error('down')),
      create: () => Promise.resolve(),
      touch: () => Promise.resolve(false),
      replace: () => Promise.resolve(false),
      delete: () => Promise.resolve(),
    };
    const failing = createSessionManager({ store: broken, origin: ORIGIN, keys: KEYS, metrics });
    const issued = await failing.create('user-2');
    await assert.rejects(failing.validate(issued.token), StoreUnavailableError);
    assert.equal(metrics.count(VALIDATIONS, { outcome: 'store_unavailable' }), 1);
  });

  test('refuses a metrics option that is not an object, and a tracing option that is not a boolean', () => {
    const store = new MemoryStore();
    assert.throws(
      () => createSessionManager({ store, origin: ORIGIN, keys: KEYS, metrics: 5 as never }),
      TypeError,
    );
    assert.throws(
      () => createSessionManager({ store, origin: ORIGIN, keys: KEYS, tracing: 'yes' as never }),
      TypeError,
    );
  });
});

describe('near-cache metrics', () => {
  test('hits and misses, invalidations received by scope, and the fan-out delay from the send time', async () => {
    const clock = new ManualClock();
    const shared = new MemoryStore({ clock });
    const invalidator = new HeldInvalidator();
    const metricsA = new RecordingMetrics();
    const metricsB = new RecordingMetrics();
    const a = await CachedStore.create(shared, { invalidator, clock, metrics: metricsA });
    const b = await CachedStore.create(shared, { invalidator, clock, metrics: metricsB });
    const sessions = createSessionManager({ store: b, origin: ORIGIN, keys: KEYS, clock });
    const { token, session } = await sessions.create('user-1');
    await sessions.validate(token); // miss, then cached
    await sessions.validate(token); // hit
    const lookups = METRICS.nearCacheLookups.name;
    assert.equal(metricsB.count(lookups, { result: 'miss' }), 1);
    assert.equal(metricsB.count(lookups, { result: 'hit' }), 1);

    await a.delete(session.id); // process A revokes
    await a.evictUser('user-1');
    clock.advance(250);
    invalidator.deliver();
    const received = METRICS.nearCacheInvalidations.name;
    assert.equal(metricsB.count(received, { scope: 'session' }), 1);
    assert.equal(metricsB.count(received, { scope: 'user' }), 1);
    assert.equal(metricsA.count(received, { scope: 'session' }), 0, 'its own messages are not counted');
    assert.deepEqual(metricsB.observed(METRICS.revocationFanoutSeconds.name), [0.25, 0.25]);
    assert.equal((await sessions.validate(token)).valid, false);
    await Promise.all([a.close(), b.close()]);
  });

  test('the send time travels in the wire form, and a bad one is dropped without losing the eviction', () => {
    const message = { origin: 'o', sessions: ['s1'], users: [], all: false, sentAt: 1_767_225_600_000 };
    assert.deepEqual(decodeMessage(encodeMessage(message)), message);
    const bad = decodeMessage('{"o":"o","s":["s1"],"t":"soon"}');
    assert.deepEqual(bad, { origin: 'o', sessions: ['s1'], users: [], all: false });
    const old = decodeMessage('{"o":"o","u":["u1"]}');
    assert.equal(old.sentAt, undefined);
  });

  test('no metrics, no counting: the local invalidator still evicts', async () => {
    const clock = new ManualClock();
    const cache = await CachedStore.create(new MemoryStore({ clock }), {
      invalidator: new LocalInvalidator(),
      clock,
    });
    assert.equal(cache.serving, true);
    await cache.close();
  });
});

describe('countEvents', () => {
  test('counts every event by type and sign-ins by outcome, method and reason', () => {
    const metrics = new RecordingMetrics();
    const sink = countEvents(metrics);
    const base = { at: 0, ip: null, userAgent: null };
    sink({ ...base, type: 'sign_in.succeeded', userId: 'u', sessionId: 's', method: 'password' });
    sink({ ...base, type: 'sign_in.failed', reason: 'wrong_password', method: 'password' });
    sink({ ...base, type: 'sign_in.failed', reason: 'Not A Label!', method: 'passkey' });
    sink({ ...base, type: 'sign_in.throttled', action: 'sign_in', retryAfterSeconds: 3 });
    sink({ ...base, type: 'csrf.rejected', check: 'session', reason: 'origin', method: 'POST' });
    const signIns = METRICS.signIns.name;
    assert.equal(metrics.count(signIns, { outcome: 'succeeded', method: 'password', reason: '' }), 1);
    assert.equal(
      metrics.count(signIns, { outcome: 'failed', method: 'password', reason: 'wrong_password' }),
      1,
    );
    assert.equal(metrics.count(signIns, { outcome: 'failed', method: 'passkey', reason: 'other' }), 1);
    assert.equal(metrics.count(signIns, { outcome: 'throttled', method: '', reason: 'sign_in' }), 1);
    const events = METRICS.securityEvents.name;
    assert.equal(metrics.count(events, { type: 'sign_in.failed' }), 2);
    assert.equal(metrics.count(events, { type: 'csrf.rejected' }), 1);
  });
});
