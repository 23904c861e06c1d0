import type { Redis } from 'ioredis';
import type { RedisClient } from '../../lib/redis/client.js';
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
  /** The longest a publish, a subscription or a heartbeat may take. Default 2,000 ms. */
  timeoutMs?: number;
  /**
   * How often the subscriber connection is PINGed. A connection that dies silently (a half-open TCP
   * connection: no close ever arrives) is then reported lost within `heartbeatMs + timeoutMs` instead of
   * going unnoticed. Default 5,000 ms.
   */
  heartbeatMs?: number;
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
  readonly #heartbeatMs: number;

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
    this.#heartbeatMs = options.heartbeatMs ?? 5000;
    if (!Number.isFinite(this.#heartbeatMs) || this.#heartbeatMs <= 0) {
      throw new TypeError('heartbeatMs must be a positive number');
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
    const reportLost = (): void => {
      if (closed || !subscribed) return;
      subscribed = false;
      handler({ type: 'lost', error: lastError });
    };
    connection.on('close', reportLost);
    if (connection.status === 'ready') void confirm();

    let beating = false;
    const heartbeat = setInterval(() => {
      if (closed || !subscribed || beating) return;
      beating = true;
      withTimeout(connection.ping(), this.#timeoutMs, 'heartbeat')
        .catch((error: unknown) => {
          // No answer: the connection is dead or hopelessly slow. Report the loss now (a half-open socket
          // may never close by itself), then drop the socket so ioredis reconnects.
          lastError = asError(error);
          if (closed) return;
          reportLost();
          connection.stream.destroy();
        })
        .finally(() => {
          beating = false;
        });
    }, this.#heartbeatMs);
    heartbeat.unref();

    const unsubscribe = (): Promise<void> => {
      if (closed) return Promise.resolve();
      closed = true;
      clearInterval(heartbeat);
      connection.removeAllListeners('message');
      // Not QUIT: on a connection that has gone silent it would wait for ever.
      connection.disconnect();
      return Promise.resolve();
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
