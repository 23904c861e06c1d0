import { CloakroomError } from '../errors.js';

/** Why a request was refused by the origin checks; safe to log. */
export type CsrfRejectionReason =
  'cross_site_fetch' | 'same_site_fetch' | 'untrusted_origin' | 'missing_origin';

/**
 * An unsafe request that carried the session cookie (or a sign-in attempt) came from a context the
 * Fetch Metadata and Origin headers do not vouch for. Answer 403 `csrf_rejected`.
 *
 * @example
 * ```ts
 * if (error instanceof CsrfRejectedError) log.warn({ reason: error.reason }, 'cross-site request refused');
 * ```
 */
export class CsrfRejectedError extends CloakroomError {
  readonly reason: CsrfRejectionReason;

  constructor(reason: CsrfRejectionReason) {
    super('csrf_rejected', `request refused by the origin checks (${reason})`);
    this.reason = reason;
  }
}
