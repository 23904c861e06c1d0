import { CloakroomError } from '../errors.js';

/**
 * The request needs a signed-in user and has no live session: 401 `unauthenticated`.
 *
 * @example
 * ```ts
 * if (request.user === null) throw new UnauthenticatedError();
 * ```
 */
export class UnauthenticatedError extends CloakroomError {
  constructor() {
    super('unauthenticated', 'Sign in first.');
  }
}

/**
 * The request's session is signed in, but the user last proved who they are longer ago than the action
 * allows (`requireRecentAuth`): 401 `reauthentication_required`. The client asks for the password (or a
 * second factor) again, re-authenticates (`RequestSession.reauthenticate`) and retries.
 *
 * @example
 * ```ts
 * if (!isRecentAuth(session, 600, Date.now())) throw new ReauthenticationRequiredError();
 * ```
 */
export class ReauthenticationRequiredError extends CloakroomError {
  /** The age limit that was not met, in seconds. */
  readonly maxAgeSeconds: number;

  constructor(maxAgeSeconds: number) {
    super('reauthentication_required', 'Confirm it is you: sign in again to continue.');
    this.maxAgeSeconds = maxAgeSeconds;
  }
}
