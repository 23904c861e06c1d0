import { emitEvent } from './emit.js';
import type { EventSink, SecurityEvent, SecurityEventType } from './types.js';

/** Options of {@link EventStream.events}. */
export interface EventIteratorOptions {
  /** Ends the iteration (the pending `next()` resolves `done`). */
  signal?: AbortSignal;
  /** Only these event types; all when absent. */
  types?: readonly SecurityEventType[];
  /**
   * Events kept for a reader that falls behind; past it the oldest are dropped (and counted in
   * {@link EventIterator.dropped}), so a stalled reader never grows memory. Default 1000.
   */
  bufferSize?: number;
}

/** An async iterator over events, with the count of those dropped because the reader fell behind. */
export interface EventIterator extends AsyncIterableIterator<SecurityEvent, undefined> {
  readonly dropped: number;
}

/**
 * A fan-out point for the event stream: pass its {@link onEvent} as the `onEvent` option of the session
 * manager, the accounts and the token issuer, then subscribe listeners or read events with `for await`. A
 * listener's failure is isolated like the hook's own (caught, never awaited); an iterator buffers what its
 * reader has not taken yet, dropping the oldest beyond `bufferSize`.
 *
 * @example
 * ```ts
 * const events = new EventStream();
 * const sessions = createSessionManager({ store, origin, keys, onEvent: events.onEvent });
 * events.subscribe((event) => log.info(event, event.type));
 * for await (const event of events.events({ types: ['refresh.reuse_detected'] })) alert(event);
 * ```
 */
export class EventStream {
  readonly #listeners = new Set<EventSink>();

  /** The sink to give as `onEvent`: hands each event to every listener and iterator. */
  readonly onEvent: EventSink = (event) => {
    for (const listener of this.#listeners) emitEvent(listener, event);
  };

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: EventSink): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    // A wrapper per subscription, so subscribing the same function twice delivers twice and unsubscribes once.
    const entry: EventSink = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** How many listeners and iterators are attached. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Events from now on, as an async iterator; `break` (or `signal`) detaches it. */
  events(options: EventIteratorOptions = {}): EventIterator {
    const bufferSize = options.bufferSize ?? 1000;
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new TypeError('bufferSize must be a positive integer');
    }
    const types = options.types === undefined ? null : new Set<string>(options.types);
    const buffer: SecurityEvent[] = [];
    let waiting: ((result: IteratorResult<SecurityEvent, undefined>) => void) | null = null;
    let done = false;
    let dropped = 0;

    const finish = (): void => {
      if (done) return;
      done = true;
      unsubscribe();
      options.signal?.removeEventListener('abort', finish);
      buffer.length = 0;
      if (waiting !== null) {
        const resolve = waiting;
        waiting = null;
        resolve({ value: undefined, done: true });
      }
    };
    const unsubscribe = this.subscribe((event) => {
      if (types !== null && !types.has(event.type)) return;
      if (waiting !== null) {
        const resolve = waiting;
        waiting = null;
        resolve({ value: event, done: false });
        return;
      }
      if (buffer.length >= bufferSize) {
        buffer.shift();
        dropped += 1;
      }
      buffer.push(event);
    });
    if (options.signal?.aborted === true) finish();
    else options.signal?.addEventListener('abort', finish, { once: true });

    const iterator: EventIterator = {
      get dropped() {
        return dropped;
      },
      next(): Promise<IteratorResult<SecurityEvent, undefined>> {
        const event = buffer.shift();
        if (event !== undefined) return Promise.resolve({ value: event, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        if (waiting !== null) return Promise.reject(new Error('next() called again before it resolved'));
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return(): Promise<IteratorResult<SecurityEvent, undefined>> {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** `for await (const event of stream)`: every event, with the default buffer. */
  [Symbol.asyncIterator](): EventIterator {
    return this.events();
  }
}
