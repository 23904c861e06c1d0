import type { InvalidationMessage } from './message.js';

/**
 * What a subscriber hears: a message from another process, or a change in the subscription itself.
 *
 * - `ready`: the subscription is confirmed by the server (the first time, and after every reconnection);
 *   every message published from now on will arrive.
 * - `lost`: messages may have been missed from this moment (the connection dropped); a cache must stop
 *   trusting what it holds until the next `ready`.
 */
export type InvalidationEvent =
  | { readonly type: 'message'; readonly message: InvalidationMessage }
  | { readonly type: 'ready' }
  | { readonly type: 'lost'; readonly error: Error | null };

export type InvalidationHandler = (event: InvalidationEvent) => void;

/**
 * The transport that carries evictions between processes: Redis pub/sub (`RedisInvalidator`), PostgreSQL
 * LISTEN/NOTIFY (`PostgresInvalidator`), or in-process (`LocalInvalidator`). Delivery is at most once;
 * what a cache must not miss, a transport reports as `lost`.
 */
export interface Invalidator {
  /** Sends the message to every subscriber (this process's included); rejects if it could not be sent. */
  publish(message: InvalidationMessage): Promise<void>;
  /**
   * Starts listening on a connection of its own. Resolves, after the first `ready` event, to a function
   * that stops listening and closes that connection; rejects if the first subscription fails.
   */
  subscribe(handler: InvalidationHandler): Promise<() => Promise<void>>;
}
