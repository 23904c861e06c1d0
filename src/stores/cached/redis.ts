import type { Redis } from 'ioredis';
import type { RedisClient } from '../redis/client.js';
import type { InvalidationHandler, Invalidator } from './invalidator.js';
import { decodeMessage, encodeMessage, type InvalidationMessage } from './message.js';
import { withTimeout } from './timeout.js';

export interface RedisInvalidatorOptions {
  /** The pub/sub channel; every process sharing the sessions must use the same one. Default `cr:invalidate`. */
  channel?: string;
  /**
   * Makes the dedicated subscriber connection (one per `subscribe`, closed by its unsubscribe). Default: a
   * `duplicate()` of the publishing client. With a Cluster, pass a plain `Redis` to any node: classic
   * PUBLISH reaches subscribers on every node.
   */
  subscriber?: () => Redis;
  /** The longest a publish or the first subscription may take. Default 2,000 ms. */
  timeoutMs?: number;
}

/**
 * Invalidations over Redis pub/sub: `PUBLISH` on the client you already have, `SUBSCRIBE` on a dedicated
 * connection. The subscription is confirmed (and reported `ready`) after every (re)connection, and a closed
 * connection is reported `lost` at once, so the cache never trusts memory across a gap in delivery.
 *
 * @example
 * ```ts
 * const invalidator = new RedisInvalidator(redis, { channel: 'myapp:sessions' });
 * ```
 */
export class RedisInvalidator implements Invalidator {
  readonly #client: RedisClient;
  readonly #channel: string;
  readonly #subscriber: () => Redis;
  readonly #timeoutMs: number;

  constructor(client: RedisClient, options: RedisInvalidatorOptions = {}) {
    this.#client = client;
    this.#channel = options.channel ?? 'cr:invalidate';
    if (typeof this.#channel !== 'string' || this.#channel === '') {
      throw new TypeError('channel must be a non-empty string');
    }
    this.#timeoutMs = options.timeoutMs ?? 2000;
    if (!Number.isFinite(this.#timeoutMs) || this.#timeoutMs <= 0) {
      throw new TypeError('timeoutMs must be a positive number');
    }
    this.#subscriber =
      options.subscriber ??
      (() => {
        if (client.isCluster) {
          throw new TypeError('with a Cluster, pass options.subscriber');
        }
        // Our own confirmation replaces ioredis's silent resubscription; commands wait for the connection.
        return (client as Redis).duplicate({
          autoResubscribe: false,
          enableOfflineQueue: true,
          lazyConnect: false,
        });
      });
  }

  async publish(message: InvalidationMessage): Promise<void> {
    await withTimeout(
      this.#client.publish(this.#channel, encodeMessage(message)),
      this.#timeoutMs,
      'publish',
    );
  }

  async subscribe(handler: InvalidationHandler): Promise<() => Promise<void>> {
    const channel = this.#channel;
    const connection = this.#subscriber();
    let closed = false;
    let subscribed = false;
    let first: { resolve: () => void; reject: (error: Error) => void } | null = null;
    const firstReady = new Promise<void>((resolve, reject) => {
      first = { resolve, reject };
    });

    const confirm = async (): Promise<void> => {
      try {
        await withTimeout(connection.subscribe(channel), this.#timeoutMs, 'subscribe');
      } catch (error) {
        // Start over on a fresh connection; `close` reports the loss and `ready` comes back here.
        if (!closed) connection.disconnect(true);
        first?.reject(asError(error));
        return;
      }
      if (closed) return;
      subscribed = true;
      handler({ type: 'ready' });
      first?.resolve();
      first = null;
    };

    connection.on('message', (from: string, payload: string) => {
      if (!closed && from === channel) handler({ type: 'message', message: decodeMessage(payload) });
    });
    connection.on('ready', () => {
      void confirm();
    });
    let lastError: Error | null = null;
    connection.on('error', (error: Error) => {
      lastError = error; // reported with the loss; ioredis reconnects by itself
    });
    connection.on('close', () => {
      if (closed || !subscribed) return;
      subscribed = false;
      handler({ type: 'lost', error: lastError });
    });
    if (connection.status === 'ready') void confirm();

    const unsubscribe = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      connection.removeAllListeners('message');
      await connection.quit().catch(() => {
        connection.disconnect();
      });
    };
    try {
      await withTimeout(firstReady, this.#timeoutMs, 'subscribe');
    } catch (error) {
      await unsubscribe();
      throw error;
    }
    return unsubscribe;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
