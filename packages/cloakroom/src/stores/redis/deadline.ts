/**
 * Bounds Redis calls in time, cheaply: rather than a timer per call (a `setTimeout`, a `clearTimeout` and a
 * `Promise.race`, measurable at tens of thousands of calls a second), calls wait in a queue in the order
 * they started, and one timer, running only while calls are pending, fails those older than `timeoutMs`.
 * A call therefore fails between `timeoutMs` and `timeoutMs` + `timeoutMs / 4` after it started.
 */
export class Deadlines {
  readonly #timeoutMs: number;
  readonly #tickMs: number;
  #queue: Pending[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#tickMs = Math.max(1, Math.ceil(timeoutMs / 4));
  }

  /** `call`'s outcome, or a rejection if it has not settled within the bound. */
  bound<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { at: performance.now() + this.#timeoutMs, reject, done: false };
      this.#queue.push(pending);
      this.#timer ??= setInterval(this.#expire, this.#tickMs).unref();
      call.then(
        (value) => {
          pending.done = true;
          resolve(value);
        },
        (error: unknown) => {
          pending.done = true;
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  readonly #expire = (): void => {
    const now = performance.now();
    const queue = this.#queue;
    let head = this.#head;
    while (head < queue.length) {
      const pending = queue[head] as Pending;
      if (!pending.done) {
        if (pending.at > now) break;
        pending.done = true;
        pending.reject(new Error(`no reply from Redis within ${this.#timeoutMs} ms`));
      }
      head++;
    }
    // Compact once the settled head is most of the array; stop ticking when nothing is pending.
    if (head === queue.length) {
      this.#queue = [];
      this.#head = 0;
      if (this.#timer !== null) clearInterval(this.#timer);
      this.#timer = null;
    } else if (head > 1024 && head * 2 > queue.length) {
      this.#queue = queue.slice(head);
      this.#head = 0;
    } else {
      this.#head = head;
    }
  };
}

interface Pending {
  readonly at: number;
  readonly reject: (error: Error) => void;
  done: boolean;
}
