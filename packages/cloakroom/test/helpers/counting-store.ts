// A store double for cache tests: it delegates every call and counts the reads that reach it.
import type {
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from '../../src/stores/types.js';

/** Delegates to a store and counts the calls that reach it; `gate` can hold the next get until released. */
export class CountingStore<U = SessionUser> implements SessionStore<U> {
  gets = 0;
  readonly index?: SessionIndex;
  gate: Promise<void> | null = null;

  readonly sessionIdTag?: (userId: string) => string;

  constructor(readonly inner: SessionStore<U>) {
    this.index = inner.index;
    if (inner.sessionIdTag !== undefined) this.sessionIdTag = inner.sessionIdTag.bind(inner);
  }

  async get(id: string): Promise<StoredSession<U> | null> {
    this.gets++;
    const found = await this.inner.get(id);
    if (this.gate !== null) await this.gate;
    return found;
  }

  create(session: SessionRecord): Promise<void> {
    return this.inner.create(session);
  }

  touch(id: string, touch: SessionTouch): Promise<boolean> {
    return this.inner.touch(id, touch);
  }

  replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    return this.inner.replace(id, version, next);
  }

  delete(id: string): Promise<void> {
    return this.inner.delete(id);
  }
}
