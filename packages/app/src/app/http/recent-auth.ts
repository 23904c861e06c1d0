/**
 * The site's recent-authentication check, for the routes of sensitive actions (changing the password or the
 * email, deleting the account, minting tokens, turning two-factor off, removing a passkey): the session's
 * last sign-in or re-authentication must be at most {@link RECENT_AUTH_SECONDS} old. A JSON route answers
 * 401 `reauthentication_required` (the client calls `POST /api/auth/reauth` and retries); a page redirects
 * to the re-authentication prompt (`/reauth`), which brings the user back to `returnTo`.
 */
import { ReauthenticationRequiredError, UnauthenticatedError, type Session } from 'cloakroom';
import type { RequestContext } from './context.js';

/** How recent the last sign-in must be for a sensitive action: 10 minutes. */
export const RECENT_AUTH_SECONDS = 600;

/** A `ReauthenticationRequiredError` that also says where a page should send the user back to. */
export class RecentAuthRequiredError extends ReauthenticationRequiredError {
  /** A local path (checked with `safeReturnTo` before use), or `null` for the home page. */
  readonly returnTo: string | null;

  constructor(maxAgeSeconds: number, returnTo: string | null) {
    super(maxAgeSeconds);
    this.returnTo = returnTo;
  }
}

/** Options of {@link assertRecentAuth}. */
export interface RecentAuthOptions {
  /** Default {@link RECENT_AUTH_SECONDS}. */
  maxAgeSeconds?: number;
  /** For pages: where the re-authentication prompt returns to. Default: the request's path, for a GET. */
  returnTo?: string;
}

/**
 * The request's session when its user proved who they are within the last 10 minutes (or
 * `options.maxAgeSeconds`). Throws `UnauthenticatedError` without a session and `RecentAuthRequiredError`
 * (401 `reauthentication_required`) when the last sign-in or re-authentication is older.
 *
 * @example
 * ```ts
 * DELETE: async (ctx) => {
 *   assertRecentAuth(ctx);
 *   await passkeys.remove(ctx.session.user!.id, ctx.params.id!);
 *   return noContent();
 * }
 * ```
 */
export function assertRecentAuth(ctx: RequestContext, options: RecentAuthOptions = {}): Session {
  const maxAgeSeconds = options.maxAgeSeconds ?? RECENT_AUTH_SECONDS;
  try {
    return ctx.session.requireRecentAuth(maxAgeSeconds);
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw error;
    if (!(error instanceof ReauthenticationRequiredError)) throw error;
    const returnTo = options.returnTo ?? (ctx.method === 'GET' ? (ctx.req.url ?? ctx.path) : null);
    throw new RecentAuthRequiredError(maxAgeSeconds, returnTo);
  }
}
