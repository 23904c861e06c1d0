import { CloakroomError } from '../errors.js';

/**
 * The session store failed or could not be reached, so nothing can be said about the session: answer 503
 * `store_unavailable`. Never treat this as "signed out" (that would lose data) or "signed in". The store's
 * own error is the `cause` (for the server log only).
 *
 * @example
 * ```ts
 * if (error instanceof StoreUnavailableError) log.error({ err: error.cause }, 'session store down');
 * ```
 */
export class StoreUnavailableError extends CloakroomError {
  /**
   * @param operation - the store operation that failed (`get`, `revoke`, …), named in the message.
   * @param cause - the store's own error.
   * @param message - a more precise message than the generic one, for subclasses.
   */
  constructor(operation: string, cause: unknown, message = `session store failed during ${operation}`) {
    super('store_unavailable', message, { cause });
  }
}
