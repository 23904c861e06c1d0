import type { InvalidationHandler, Invalidator } from './invalidator.js';
import type { InvalidationMessage } from './message.js';

/**
 * An in-process invalidator: every `CachedStore` subscribed to it hears every publish, at once. For tests
 * and for several caches in one process; it reaches no other process.
 */
export class LocalInvalidator implements Invalidator {
  readonly #handlers = new Set<InvalidationHandler>();

  publish(message: InvalidationMessage): Promise<void> {
    for (const handler of [...this.#handlers]) handler({ type: 'message', message });
    return Promise.resolve();
  }

  subscribe(handler: InvalidationHandler): Promise<() => Promise<void>> {
    this.#handlers.add(handler);
    handler({ type: 'ready' });
    return Promise.resolve(() => {
      this.#handlers.delete(handler);
      return Promise.resolve();
    });
  }
}
