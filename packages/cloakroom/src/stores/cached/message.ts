/**
 * What one process tells the others after a change: which cached sessions to drop. `origin` names the
 * sending `CachedStore`, so it skips its own messages (it already evicted, synchronously). `all` drops
 * everything (a message that cannot be read is treated as one, so a garbled message fails safe).
 */
export interface InvalidationMessage {
  readonly origin: string;
  /** Session ids to drop. */
  readonly sessions: readonly string[];
  /** User ids whose cached sessions all go (sign out everywhere, password change). */
  readonly users: readonly string[];
  readonly all: boolean;
}

/** The wire form: compact JSON, `{"o":…,"s":[…],"u":[…],"a":1}`, well under PostgreSQL's 8,000-byte limit. */
export function encodeMessage(message: InvalidationMessage): string {
  const wire: { o: string; s?: readonly string[]; u?: readonly string[]; a?: 1 } = { o: message.origin };
  if (message.sessions.length > 0) wire.s = message.sessions;
  if (message.users.length > 0) wire.u = message.users;
  if (message.all) wire.a = 1;
  return JSON.stringify(wire);
}

/** The message, or one that drops everything when the payload is not a message this code wrote. */
export function decodeMessage(payload: string): InvalidationMessage {
  try {
    const wire = JSON.parse(payload) as unknown;
    if (typeof wire === 'object' && wire !== null) {
      const { o, s = [], u = [], a } = wire as Record<string, unknown>;
      if (typeof o === 'string' && isStrings(s) && isStrings(u) && (a === undefined || a === 1)) {
        return { origin: o, sessions: s, users: u, all: a === 1 };
      }
    }
  } catch {
    // Fall through: unreadable.
  }
  return { origin: '', sessions: [], users: [], all: true };
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
