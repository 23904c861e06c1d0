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
  /**
   * When the sender published it (ms since the epoch, the sender's clock): the receiver measures the
   * revocation's fan-out delay from it. Absent in messages of older versions.
   */
  readonly sentAt?: number;
}

/**
 * The wire form: compact JSON, `{"o":…,"s":[…],"u":[…],"a":1,"t":…}`, well under PostgreSQL's 8,000-byte
 * limit. `t` (the send time) costs about 16 bytes.
 */
export function encodeMessage(message: InvalidationMessage): string {
  const wire: { o: string; s?: readonly string[]; u?: readonly string[]; a?: 1; t?: number } = {
    o: message.origin,
  };
  if (message.sessions.length > 0) wire.s = message.sessions;
  if (message.users.length > 0) wire.u = message.users;
  if (message.all) wire.a = 1;
  if (message.sentAt !== undefined) wire.t = message.sentAt;
  return JSON.stringify(wire);
}

/** The message, or one that drops everything when the payload is not a message this code wrote. */
export function decodeMessage(payload: string): InvalidationMessage {
  try {
    const wire = JSON.parse(payload) as unknown;
    if (typeof wire === 'object' && wire !== null) {
      const { o, s = [], u = [], a, t } = wire as Record<string, unknown>;
      if (typeof o === 'string' && isStrings(s) && isStrings(u) && (a === undefined || a === 1)) {
        const message = { origin: o, sessions: s, users: u, all: a === 1 };
        // A send time that is not a plausible one is dropped, never trusted: the message still evicts.
        return typeof t === 'number' && Number.isSafeInteger(t) && t > 0
          ? { ...message, sentAt: t }
          : message;
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
