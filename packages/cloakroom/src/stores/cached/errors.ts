import { StoreUnavailableError } from '../errors.js';

/**
 * The inner write succeeded (the revocation is recorded), but the other processes could not be told: until
 * their entries age out (`ttlMs`), they may still accept the session. Retrying the operation is safe.
 *
 * A `StoreUnavailableError` (code `store_unavailable`, 503 at the HTTP edge): the session layer promises
 * that every store failure rejects with one, and a session revoked through a `CachedStore` keeps that promise.
 *
 * @example
 * ```ts
 * try { await store.delete(id) } catch (e) { if (e instanceof InvalidationPublishError) await retry() }
 * ```
 */
export class InvalidationPublishError extends StoreUnavailableError {
  constructor(cause: unknown) {
    super(
      'invalidation publish',
      cause,
      'the change was stored but its invalidation could not be published; other processes may serve ' +
        'their cached copy until it ages out (ttlMs); retrying is safe',
    );
  }
}
