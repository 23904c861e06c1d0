// An Invalidator that lets a test wait for an eviction to reach a near-cache: the event, not a clock, says
// when the other process's revocation arrived, so a test of the mechanism holds however loaded the machine.
import type { InvalidationHandler, InvalidationMessage, Invalidator } from '../../src/stores/cached/index.js';

interface Waiter {
  sessionId: string;
  resolve: () => void;
}

export class ObservedInvalidator implements Invalidator {
  readonly #inner: Invalidator;
  readonly #waiters = new Set<Waiter>();

  constructor(inner: Invalidator) {
    this.#inner = inner;
  }

  publish(message: InvalidationMessage): Promise<void> {
    return this.#inner.publish(message);
  }

  subscribe(handler: InvalidationHandler): Promise<() => Promise<void>> {
    return this.#inner.subscribe((event) => {
      // The cache's handler runs first: when a waiter resolves, the eviction has been applied.
      handler(event);
      if (event.type !== 'message') return;
      for (const waiter of this.#waiters) {
        if (event.message.all || event.message.sessions.includes(waiter.sessionId)) {
          this.#waiters.delete(waiter);
          waiter.resolve();
        }
      }
    });
  }

  /**
   * Resolves when a message evicting `sessionId` has been handed to the cache. Call it before the
   * revocation, so the message cannot arrive first. Rejects after `failAfterMs`: a lost message, not a slow
   * one (the bound is seconds, far above any delay this machine shows even under load).
   */
  nextEviction(sessionId: string, failAfterMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no eviction of the session arrived within ${String(failAfterMs)} ms`));
      }, failAfterMs);
      const waiter: Waiter = {
        sessionId,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.add(waiter);
    });
  }
}
