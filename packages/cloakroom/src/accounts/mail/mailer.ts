import type { MailContent } from './templates.js';
import type { MailTransport } from './transport.js';

export interface MailerOptions {
  transport: MailTransport;
  /** The sender, e.g. `Cloakroom <no-reply@example.com>`. */
  from: string;
  /** Delays before each retry, in ms; default `[1000, 5000, 30000]` (four tries in all). */
  retryDelaysMs?: readonly number[];
  /**
   * Told about every failed try (`final` when no retry is left). It gets the mail's kind and the error's
   * name and message only: never the recipient's mail, whose text holds the link.
   */
  onError?: (failure: MailFailure) => void;
  /** Waits `ms`; a seam for tests. Default: a timer that does not hold the process open. */
  sleep?: (ms: number) => Promise<void>;
}

/** One failed try, as `onError` sees it. */
export interface MailFailure {
  kind: string;
  attempt: number;
  final: boolean;
  error: { name: string; message: string };
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/**
 * Sends mail in the background, with retries. `deliver` returns at once: the answer to the request that
 * caused a mail never waits for the mail server nor depends on it (no timing or status tells whether a mail
 * went out, or to whom).
 */
export class Mailer {
  readonly #transport: MailTransport;
  readonly #from: string;
  readonly #delays: readonly number[];
  readonly #onError: ((failure: MailFailure) => void) | undefined;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: MailerOptions) {
    this.#transport = options.transport;
    this.#from = options.from;
    this.#delays = options.retryDelaysMs ?? [1000, 5000, 30_000];
    this.#onError = options.onError;
    this.#sleep = options.sleep ?? sleep;
  }

  /** Starts sending `content` to `to`; `kind` names the mail in error reports. */
  deliver(kind: string, to: string, content: MailContent): void {
    const sending = this.#send(kind, { from: this.#from, to, ...content }).finally(() => {
      this.#pending.delete(sending);
    });
    this.#pending.add(sending);
  }

  /** Starts `work` in the background (e.g. the lookups before a mail), reporting a failure like a send. */
  detach(kind: string, work: () => Promise<void>): void {
    const running = work()
      .catch((error: unknown) => {
        this.#report(kind, 1, true, error);
      })
      .finally(() => {
        this.#pending.delete(running);
      });
    this.#pending.add(running);
  }

  /** Resolves when every mail started so far is sent or given up on. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #send(kind: string, message: Parameters<MailTransport['send']>[0]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#transport.send(message);
        return;
      } catch (error) {
        const delay = this.#delays[attempt - 1];
        this.#report(kind, attempt, delay === undefined, error);
        if (delay === undefined) return;
        await this.#sleep(delay);
      }
    }
  }

  #report(kind: string, attempt: number, final: boolean, error: unknown): void {
    const summary =
      error instanceof Error
        ? { name: error.name, message: error.message }
        : { name: 'Error', message: 'unknown' };
    try {
      this.#onError?.({ kind, attempt, final, error: summary });
    } catch {
      // A failing logger must not turn into an unhandled rejection.
    }
  }
}
