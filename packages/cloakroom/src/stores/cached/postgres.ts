import type { Client, Notification, Pool } from 'pg';
import { backoffDelay } from '../../lib/backoff.js';
import { quoteIdentifier } from '../../lib/postgres/sql.js';
import type { InvalidationHandler, Invalidator } from './invalidator.js';
import { decodeMessage, encodeMessage, type InvalidationMessage } from './message.js';
import { withTimeout } from './timeout.js';

export interface PostgresInvalidatorOptions {
  /** The LISTEN/NOTIFY channel, a plain identifier (letters, digits, `_`). Default `cloakroom_sessions`. */
  channel?: string;
  /**
   * Makes the dedicated listening connection (a new one after every loss). Default: a `pg.Client` with the
   * pool's own settings.
   */
  connect?: () => Client | Promise<Client>;
  /** The longest the first subscription, or a heartbeat, may take. Default 5,000 ms. */
  timeoutMs?: number;
  /**
   * How often the listening connection runs `SELECT 1` (bounded by `timeoutMs`). A connection that dies
   * silently is then reported lost within `heartbeatMs + timeoutMs`. Default 5,000 ms.
   */
  heartbeatMs?: number;
  /** Backoff between reconnection attempts, doubling from 50 ms up to this. Default 2,000 ms. */
  maxReconnectDelayMs?: number;
}

/**
 * Invalidations over PostgreSQL LISTEN/NOTIFY: `SELECT pg_notify($1, $2)` on your pool, `LISTEN` on a
 * dedicated connection that is re-opened (with backoff) whenever it is lost. A loss is reported at once and
 * `ready` only once `LISTEN` has succeeded on the new connection.
 *
 * @example
 * ```ts
 * const invalidator = new PostgresInvalidator(pool, { channel: 'myapp_sessions' });
 * ```
 */
export class PostgresInvalidator implements Invalidator {
  readonly #pool: Pool;
  readonly #channel: string;
  readonly #listen: string;
  readonly #connect: () => Client | Promise<Client>;
  readonly #timeoutMs: number;
  readonly #maxDelayMs: number;
  readonly #heartbeatMs: number;

  constructor(pool: Pool, options: PostgresInvalidatorOptions = {}) {
    this.#pool = pool;
    this.#channel = options.channel ?? 'cloakroom_sessions';
    // Quoted, so the name is exact (unquoted LISTEN would fold it to lower case and miss pg_notify's).
    this.#listen = `LISTEN ${quoteIdentifier(this.#channel, 'channel')}`;
    this.#timeoutMs = positive(options.timeoutMs ?? 5000, 'timeoutMs');
    this.#heartbeatMs = positive(options.heartbeatMs ?? 5000, 'heartbeatMs');
    this.#maxDelayMs = positive(options.maxReconnectDelayMs ?? 2000, 'maxReconnectDelayMs');
    this.#connect =
      options.connect ??
      (async () => {
        const { default: pg } = await import('pg');
        return new pg.Client(pool.options);
      });
  }

  async publish(message: InvalidationMessage): Promise<void> {
    // Outside a transaction, so it is delivered as soon as this statement commits.
    await this.#pool.query('SELECT pg_notify($1, $2)', [this.#channel, encodeMessage(message)]);
  }

  async subscribe(handler: InvalidationHandler): Promise<() => Promise<void>> {
    const listener = new Listener(this.#connect, this.#listen, this.#channel, handler, {
      maxDelayMs: this.#maxDelayMs,
      heartbeatMs: this.#heartbeatMs,
      timeoutMs: this.#timeoutMs,
    });
    try {
      await withTimeout(listener.open(), this.#timeoutMs, 'LISTEN');
    } catch (error) {
      await listener.close();
      throw error;
    }
    return () => listener.close();
  }
}

/** One subscription: a connection that LISTENs, replaced after every loss. */
class Listener {
  #client: Client | null = null;
  #closed = false;
  #attempts = 0;
  #timer: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly connect: () => Client | Promise<Client>,
    private readonly listen: string,
    private readonly channel: string,
    private readonly handler: InvalidationHandler,
    private readonly timing: { maxDelayMs: number; heartbeatMs: number; timeoutMs: number },
  ) {}

  /** Connects and LISTENs once; rejects on failure (the first time) without retrying. */
  async open(): Promise<void> {
    const client = await this.connect();
    let lost = false;
    const onLost = (error: Error | null): void => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#stopHeartbeat();
      void client.end().catch(() => {});
      if (this.#client !== client || this.#closed) return;
      this.#client = null;
      this.handler({ type: 'lost', error });
      this.#retry();
    };
    client.on('error', (error) => {
      onLost(error);
    });
    client.on('end', () => {
      onLost(null);
    });
    client.on('notification', (notification: Notification) => {
      if (notification.channel !== this.channel || this.#closed) return;
      this.handler({ type: 'message', message: decodeMessage(notification.payload ?? '') });
    });
    try {
      await client.connect();
      await client.query(this.listen);
    } catch (error) {
      lost = true;
      await client.end().catch(() => {});
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#attempts = 0;
    this.handler({ type: 'ready' });
    this.#startHeartbeat(client, onLost);
  }

  /** Runs `SELECT 1` every `heartbeatMs`; no answer within `timeoutMs` counts as a lost connection. */
  #startHeartbeat(client: Client, onLost: (error: Error | null) => void): void {
    this.#stopHeartbeat();
    let beating = false;
    this.#heartbeat = setInterval(() => {
      if (beating) return;
      beating = true;
      withTimeout(client.query('SELECT 1'), this.timing.timeoutMs, 'heartbeat')
        .catch((error: unknown) => {
          onLost(error instanceof Error ? error : new Error(String(error)));
        })
        .finally(() => {
          beating = false;
        });
    }, this.timing.heartbeatMs);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #retry(): void {
    if (this.#closed) return;
    const delay = backoffDelay(this.#attempts++, 50, this.timing.maxDelayMs);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.open().catch(() => {
        this.#retry();
      });
    }, delay);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopHeartbeat();
    if (this.#timer !== null) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}
