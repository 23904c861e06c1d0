import { createHash } from 'node:crypto';

/**
 * The Redis key layout, in one place. Every user has a tag: 2 base64url characters taken from the SHA-256 of
 * the user id (4,096 tags). The tag is the Cluster hash tag of all of the user's keys, so they share one slot
 * and one script can change them atomically, and the session layer puts it at the start of every session id
 * of the user (`sessionIdTag`), so the store finds a session's slot from its id alone, with no lookup:
 *
 * - `<prefix>{<tag>}:s:<session id>`: the session, one packed string (see record.ts), with a TTL at
 *   `expiresAt`; the session id begins with `<tag>`.
 * - `<prefix>{<tag>}:x:<user id>`: the user's index, a sorted set of session ids scored by `expiresAt`.
 * - `<prefix>{<tag>}:u:<user id>`: the user snapshot (optional), written by `setUser`, read beside the session.
 *
 * Users who share a tag share a slot, nothing else: their keys differ by user id or session id. The hash
 * tag is the text between the first `{` and the first `}` of a key, so the user id after it needs no escaping.
 */
export class KeyLayout {
  readonly #prefix: string;

  constructor(prefix: string) {
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new TypeError('prefix must be a string without { or } (they would change the Cluster hash tag)');
    }
    this.#prefix = prefix;
  }

  /** The user's tag: the first 12 bits of SHA-256(user id), as 2 base64url characters. */
  static tag(userId: string): string {
    return createHash('sha256').update(userId).digest('base64url').slice(0, 2);
  }

  /** The session key of `id`, or `null` when `id` does not start with a tag (no session of ours has it). */
  session(id: string): string | null {
    if (id.length <= 2 || !TAG.test(id)) return null;
    return `${this.#prefix}{${id.slice(0, 2)}}:s:${id}`;
  }

  /** The common start of the session keys of every user with this tag; scripts append an id to it. */
  sessionPrefix(tag: string): string {
    return `${this.#prefix}{${tag}}:s:`;
  }

  /** The common start of the index keys of every user with this tag; scripts append a user id to it. */
  indexPrefix(tag: string): string {
    return `${this.#prefix}{${tag}}:x:`;
  }

  index(userId: string): string {
    return `${this.indexPrefix(KeyLayout.tag(userId))}${userId}`;
  }

  /** The common start of the snapshot keys of every user with this tag; scripts append a user id to it. */
  userPrefix(tag: string): string {
    return `${this.#prefix}{${tag}}:u:`;
  }

  user(userId: string): string {
    return `${this.userPrefix(KeyLayout.tag(userId))}${userId}`;
  }

  /** A SCAN pattern matching every index key (and maybe more: check candidates with `indexTag`). */
  indexPattern(): string {
    return `${this.#prefix.replace(/[*?[\]\\]/g, '\\$&')}{??}:x:*`;
  }

  /** The tag of an index key, or `null` when `key` is not one. */
  indexTag(key: string): string | null {
    const start = this.#prefix.length;
    if (!key.startsWith(this.#prefix) || key.length < start + 7) return null;
    if (key[start] !== '{' || key.slice(start + 3, start + 7) !== '}:x:') return null;
    const tag = key.slice(start + 1, start + 3);
    return TAG.test(tag) ? tag : null;
  }
}

const TAG = /^[A-Za-z0-9_-]{2}/;
