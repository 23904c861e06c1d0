/** Why an input could not be inspected. Stable codes, for callers and tests. */
export type InspectErrorCode = 'no_token' | 'malformed_token' | 'key_unreadable';

/**
 * Input that `inspect` cannot read: no token in it, a token that does not decode, or key material that
 * does not load. The message says what is wrong in general terms and never repeats the input.
 */
export class InspectError extends Error {
  readonly code: InspectErrorCode;

  constructor(code: InspectErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'InspectError';
  }
}
