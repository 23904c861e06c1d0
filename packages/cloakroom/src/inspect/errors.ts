import { CloakroomError } from '../errors.js';

/** Why an input could not be inspected. Stable codes, for callers and tests; part of `CloakroomErrorCode`. */
export type InspectErrorCode = 'no_token' | 'malformed_token' | 'key_unreadable';

/**
 * Input that `inspect` cannot read: no token in it (`no_token`), a token that does not decode
 * (`malformed_token`), or key material that does not load (`key_unreadable`). The message says what is wrong
 * in general terms and never repeats the input.
 *
 * @example
 * ```ts
 * try { extractToken(input) } catch (e) { if (e instanceof InspectError && e.code === 'no_token') usage() }
 * ```
 */
export class InspectError extends CloakroomError {
  declare readonly code: InspectErrorCode;

  // eslint-disable-next-line @typescript-eslint/no-useless-constructor -- narrows `code` to the inspect codes
  constructor(code: InspectErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
