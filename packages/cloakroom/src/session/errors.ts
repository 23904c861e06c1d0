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
