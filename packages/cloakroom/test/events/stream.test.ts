// The event hook's isolation (a throwing or never-settling hook does not break or hold up the caller) and the
// EventStream fan-out: listeners, async iterators, type filters, bounded buffers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { combineSinks, emitEvent, EventStream, resolveEventSink } from '../../src/events/index.js';
import type { SecurityEvent } from '../../src/events/index.js';

const event = (type: 'session.signed_out' | 'csrf.rejected', at = 1): SecurityEvent =>
  type === 'session.signed_out'
    ? { type, at, userId: 'u1', sessionId: 's1', ip: '192.0.2.1', userAgent: 'ua' }
    : { type, at, check: 'session', reason: 'cross_site', method: 'POST', ip: null, userAgent: null };

describe('emitEvent', () => {
  test('a throwing hook is caught; a rejecting promise is caught and not awaited', async () => {
    emitEvent(() => {
      throw new Error('hook down');
    }, event('session.signed_out'));
    emitEvent(() => Promise.reject(new Error('async hook down')), event('session.signed_out'));
    // A thenable whose rejection handler is attached (not awaited): `then` is called once, synchronously.
    let thenCalls = 0;
    emitEvent(() => ({ then: () => (thenCalls += 1) }), event('session.signed_out'));
    assert.equal(thenCalls, 1);
    // Let the rejection's handler run: an unhandled rejection would fail the test run.
    await new Promise((resolve) => setImmediate(resolve));
  });

  test('no sink is a no-op; resolveEventSink refuses a non-function', () => {
    emitEvent(null, event('session.signed_out'));
    emitEvent(undefined, event('session.signed_out'));
    assert.equal(resolveEventSink(undefined), null);
    assert.throws(() => resolveEventSink('log'), TypeError);
  });

  test('combineSinks isolates each sink and is null when none is left', () => {
    assert.equal(combineSinks(null, undefined), null);
    const seen: string[] = [];
    const both = combineSinks(
      () => {
        throw new Error('first fails');
      },
      (e) => seen.push(e.type),
    );
    assert.ok(both !== null);
    both(event('csrf.rejected'));
    assert.deepEqual(seen, ['csrf.rejected']);
  });
});

describe('EventStream', () => {
  test('listeners get every event; a failing listener does not stop the others; unsubscribe stops it', () => {
    const stream = new EventStream();
    const seen: number[] = [];
    stream.subscribe(() => {
      throw new Error('broken listener');
    });
    const stop = stream.subscribe((e) => seen.push(e.at));
    stream.onEvent(event('session.signed_out', 1));
    stop();
    stream.onEvent(event('session.signed_out', 2));
    assert.deepEqual(seen, [1]);
    assert.equal(stream.listenerCount, 1);
  });

  test('an async iterator reads events in order, filtered by type, and detaches on break', async () => {
    const stream = new EventStream();
    const iterator = stream.events({ types: ['csrf.rejected'] });
    stream.onEvent(event('session.signed_out', 1));
    stream.onEvent(event('csrf.rejected', 2));
    const pending = iterator.next();
    stream.onEvent(event('csrf.rejected', 3));
    const got: number[] = [];
    got.push((await pending).value?.at ?? -1);
    for await (const e of iterator) {
      got.push(e.at);
      break;
    }
    assert.deepEqual(got, [2, 3]);
    assert.equal(stream.listenerCount, 0);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  });

  test('a reader that falls behind loses the oldest events past bufferSize, counted', async () => {
    const stream = new EventStream();
    const iterator = stream.events({ bufferSize: 2 });
    for (let at = 1; at <= 5; at += 1) stream.onEvent(event('session.signed_out', at));
    assert.equal(iterator.dropped, 3);
    assert.equal((await iterator.next()).value?.at, 4);
    assert.equal((await iterator.next()).value?.at, 5);
    await iterator.return?.();
  });

  test('an abort signal ends a waiting iterator', async () => {
    const stream = new EventStream();
    const controller = new AbortController();
    const iterator = stream.events({ signal: controller.signal });
    const pending = iterator.next();
    controller.abort();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(stream.listenerCount, 0);
    assert.throws(() => stream.events({ bufferSize: 0 }), TypeError);
  });
});
