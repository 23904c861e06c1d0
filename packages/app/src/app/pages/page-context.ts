import { UnauthenticatedError } from 'cloakroom';
import type { RequestSession } from 'cloakroom';
import type { Session } from 'cloakroom/session';
import type { RequestContext } from '../http/context.js';
import type { AppUser } from '../http/env.js';
import { redirect, type Reply } from '../http/reply.js';

/**
 * The request's session, or `undefined` when the request failed before the session was loaded (a CSRF
 * refusal, a store outage, an asset served without the session).
 */
export function requestSessionOf(ctx: RequestContext): RequestSession<AppUser> | undefined {
  return ctx.loadedSession;
}

/** The signed-in user, or `null`. */
export function currentUser(ctx: RequestContext): AppUser | null {
  return ctx.loadedSession?.user ?? null;
}

/**
 * The signed-in user and session. Throws `UnauthenticatedError` otherwise, which the error page answers
 * with a 303 redirect to the sign-in page.
 */
export function signedIn(ctx: RequestContext): { user: AppUser; session: Session } {
  const request = ctx.loadedSession;
  const user = request?.user ?? null;
  const session = request?.session ?? null;
  if (user === null || session === null) throw new UnauthenticatedError();
  return { user, session };
}

/** POST/redirect/GET: every successful form post answers 303, so a reload never posts twice. */
export function seeOther(location: string): Reply {
  return redirect(location, 303);
}

// Confirmations are chosen by a fixed key in the query string, so a link can never inject a message.
const NOTICES = {
  welcome: 'Welcome! Your account is ready and you are signed in.',
  'signed-out': 'You are signed out.',
  'signed-out-everywhere': 'You are signed out on every device.',
  'note-created': 'Note created.',
  'note-saved': 'Note saved.',
  'note-deleted': 'Note deleted.',
  'session-revoked': 'That session is signed out.',
  'password-changed': 'Password changed. Every other session was signed out.',
  'provider-linked': 'Provider linked: you can now sign in with it.',
  'provider-already-linked': 'That provider account was already linked to yours.',
  'provider-unlinked': 'Provider unlinked.',
  'reset-sent':
    'If that address has an account, a link to choose a new password is on its way. It works for 30 minutes.',
  'password-reset': 'Password changed. Every other session was signed out.',
  'email-verified': 'Email address confirmed.',
  'verification-sent': 'A new confirmation link is on its way.',
  'verification-throttled': 'Several links were sent already. Check your mailbox, or try again in an hour.',
  'email-change-sent': 'A link is on its way to the new address. Your address changes when you open it.',
  'account-deleted': 'Your account is deleted.',
  'two-factor-off': 'Two-factor sign-in is off. Your password alone signs you in.',
} as const;

export type NoticeKey = keyof typeof NOTICES;

/** A path with a confirmation to show on arrival, e.g. `/notes?notice=note-saved`. */
export function withNotice(path: string, key: NoticeKey): string {
  return `${path}?notice=${key}`;
}

/** The confirmation the URL asks for, if it is one of the known ones. */
export function noticeOf(ctx: RequestContext): string | null {
  const key = ctx.query('notice');
  return key !== undefined && Object.hasOwn(NOTICES, key) ? NOTICES[key as NoticeKey] : null;
}
