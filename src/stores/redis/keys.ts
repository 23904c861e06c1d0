/**
 * The Redis key layout, in one place. Everything of one user lives under one hash tag, `{<user id>}`, so it
 * shares one Cluster slot and one script can change it atomically:
 *
 * - `<prefix>{<user>}:s:<session id>`: the session, a small hash (see record.ts), with a TTL at `expiresAt`.
 * - `<prefix>{<user>}:x`: the user's index, a sorted set of session ids scored by `expiresAt`.
 * - `<prefix>{<user>}:u`: the user snapshot (optional), written by `setUser`, read beside the session.
 *
 * The cookie carries only the session id, so one more key maps an id to its user:
 *
 * - `<prefix>p:<session id>`: the pointer, a string holding the user id, with a TTL at the session's end.
 *
 * A pointer never changes once written (ids are random and never reused), so each process caches them and a
 * validation is one round trip (one script on the user's slot) once the pointer is known.
 *
 * Why this layout: keys tagged by the session's own id would give one round trip even on a cold process, but
 * then a session, its successor and its user's index sit in different slots, so rotation and revoke-all
 * could not be atomic (a session rotated during "sign out everywhere" could survive it) and a user snapshot
 * could not be read beside the session on a Cluster. The cost here is a pointer key per session (memory) and
 * a pointer read on a process's first sight of an id. The best layout, an id that carries its user's tag,
 * needs the session layer to let the store choose ids (not done: see the notes in docs/stores.md).
 */
export class KeyLayout {
  readonly #prefix: string;

  constructor(prefix: string) {
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new TypeError('prefix must be a string without { or } (they would change the Cluster hash tag)');
    }
    this.#prefix = prefix;
  }

  pointer(id: string): string {
    return `${this.#prefix}p:${id}`;
  }

  /** The common start of every session key of the user; scripts append an id to it. */
  sessionPrefix(userId: string): string {
    return `${this.#userTag(userId)}:s:`;
  }

  session(userId: string, id: string): string {
    return `${this.sessionPrefix(userId)}${id}`;
  }

  index(userId: string): string {
    return `${this.#userTag(userId)}:x`;
  }

  user(userId: string): string {
    return `${this.#userTag(userId)}:u`;
  }

  /** A SCAN pattern matching every index key (and maybe more: check candidates with `isIndex`). */
  indexPattern(): string {
    return `${this.#prefix.replace(/[*?[\]\\]/g, '\\$&')}{*}:x`;
  }

  isIndex(key: string): boolean {
    const head = `${this.#prefix}{`;
    if (!key.startsWith(head) || !key.endsWith('}:x')) return false;
    // Escaped user ids hold no `}`, so a real index key has exactly one, just before `:x`.
    return !key.slice(head.length, -3).includes('}');
  }

  // `{`, `}` and `%` are percent-escaped and the empty id is `%` (which no escape produces), so the tag is
  // never empty and never cut short by a brace in the id: all of a user's keys share exactly one tag, and two
  // users never share a key.
  #userTag(userId: string): string {
    const tag = userId === '' ? '%' : userId.replace(/[{}%]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
    return `${this.#prefix}{${tag}}`;
  }
}
