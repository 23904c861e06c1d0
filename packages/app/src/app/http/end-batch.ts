import type { ServerResponse } from 'node:http';

/**
 * Ends responses together, once the event loop has run every request callback of its current turn
 * (`setImmediate`, right after the poll phase), instead of each on its own. Each `end` is a socket write,
 * and on loopback that write also wakes the client and runs its TCP receive path; written one by one while
 * the client sits idle between answers, the writes cost the site more CPU than the rest of a `GET /api/notes`
 * (see docs/benchmarks.md, "Reference site under load"). Only the socket write waits: the status and
 * headers are set at once, so errors, logging and `headersSent` are unchanged.
 *
 * The reference site ends every answer through one; `cloakroom bench` gives every `node:http` server it
 * measures one (the bare baseline included), so that all are measured writing the same way.
 */
export class EndBatch {
  #responses: ServerResponse[] = [];
  #bodies: (string | Buffer | undefined)[] = [];
  readonly #flush = (): void => {
    const responses = this.#responses;
    const bodies = this.#bodies;
    this.#responses = [];
    this.#bodies = [];
    for (let i = 0; i < responses.length; i++) {
      const res = responses[i] as ServerResponse;
      try {
        res.end(bodies[i]);
      } catch {
        // Not expected (the head was accepted, and a closed socket ignores the write); never let one
        // answer stop the others.
        res.destroy();
      }
    }
  };

  end(res: ServerResponse, body: string | Buffer | undefined): void {
    if (this.#responses.push(res) === 1) setImmediate(this.#flush);
    this.#bodies.push(body);
  }
}
