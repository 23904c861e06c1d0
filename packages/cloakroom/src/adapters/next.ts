import type { SessionUser } from '../stores/index.js';
import {
  loadRequestSession,
  type RequestInfo,
  type RequestSession,
  type Session,
  type SessionManager,
} from '../session/index.js';
import { withSessions, type SessionHandler } from './web.js';
// The same guard as `cloakroom/http`: wraps a `routeHandler` handler. In a server action, call
// `(await actionSession(sessions)).requireRecentAuth()` instead.
export { requireRecentAuth } from './web.js';

// The parts of `next/headers` these helpers use, described here so that this module's types need no `next`
// installed; `next/headers` itself is imported when a helper runs, inside a Next.js request.
interface CookieStore {
  getAll(name: string): { name: string; value: string }[];
  set(
    name: string,
    value: string,
    options: {
      path?: string;
      maxAge?: number;
      httpOnly?: boolean;
      secure?: boolean;
      sameSite?: 'lax' | 'strict';
    },
  ): unknown;
}
interface HeaderStore {
  get(name: string): string | null;
}

async function nextHeaders(): Promise<{ cookies: CookieStore; headers: HeaderStore }> {
  const module = (await import('next/headers.js')) as unknown as {
    cookies(): Promise<CookieStore>;
    headers(): Promise<HeaderStore>;
  };
  return { cookies: await module.cookies(), headers: await module.headers() };
}

/** The request's session cookie as a `Cookie` header Cloakroom parses; two cookies of the name give none. */
function sessionCookieHeader(manager: SessionManager<unknown>, cookies: CookieStore): string | null {
  const [only, ...more] = cookies.getAll(manager.cookieName);
  if (only === undefined || more.length > 0) return null;
  return `${manager.cookieName}=${only.value}`;
}

/** A session read in a server component: who is signed in, nothing that changes it. */
export interface NextSession<U> {
  session: Session | null;
  user: U | null;
}

/**
 * Reads the session of the request being rendered, through `next/headers` cookies: for server components
 * (and route handlers that only read). Read-only: a server component cannot set cookies, so a dead cookie
 * is not cleared here (the next sign-in or sign-out does it). Rejects with `StoreUnavailableError` when the
 * store is down (render an error, never "signed out").
 *
 * @example
 * ```tsx
 * export default async function Dashboard() {
 *   const { user } = await getSession(sessions);
 *   if (user === null) redirect('/sign-in');
 *   return <p>Hello {user.id}</p>;
 * }
 * ```
 */
export async function getSession<U = SessionUser>(manager: SessionManager<U>): Promise<NextSession<U>> {
  const { cookies } = await nextHeaders();
  const result = await manager.validate(manager.readToken(sessionCookieHeader(manager, cookies)));
  return result.valid ? { session: result.session, user: result.user } : { session: null, user: null };
}

/** Turns one of Cloakroom's `Set-Cookie` values into `cookies().set` arguments. */
function applySetCookie(cookies: CookieStore, setCookie: string): void {
  const [pair = '', ...attributes] = setCookie.split(';').map((part) => part.trim());
  const at = pair.indexOf('=');
  const options: Parameters<CookieStore['set']>[2] = {};
  for (const attribute of attributes) {
    const [key = '', value = ''] = attribute.split('=');
    switch (key.toLowerCase()) {
      case 'path':
        options.path = value;
        break;
      case 'max-age':
        options.maxAge = Number(value);
        break;
      case 'httponly':
        options.httpOnly = true;
        break;
      case 'secure':
        options.secure = true;
        break;
      case 'samesite':
        options.sameSite = value.toLowerCase() === 'strict' ? 'strict' : 'lax';
        break;
      default:
        break;
    }
  }
  cookies.set(pair.slice(0, at), pair.slice(at + 1), options);
}

/** Options of {@link actionSession}. */
export interface ActionSessionOptions {
  /**
   * The client address to record with a new session. Next.js does not expose the socket's peer; behind a
   * proxy you trust, read it from the header that proxy sets. Default: none recorded.
   */
  ip?: string | null;
}

/**
 * The session of a server action (or of a route handler that prefers `next/headers`), with the operations
 * that change it: `signIn`, `signOut`, `rotate`, … Their cookies are written through `next/headers`
 * `cookies().set`, which Next.js sends with the action's response (one per name: the last one wins).
 *
 * CSRF: Next.js itself refuses a server action whose `Origin` does not match the host it is served on. On top
 * of that this applies Cloakroom's own check as for any unsafe request (403 `csrf_rejected` as a thrown
 * `CsrfRejectedError` when `Origin`/`Sec-Fetch-Site` say another site, or when both are missing), and
 * `signIn` its login check. Rejects with `StoreUnavailableError` when the store is down.
 *
 * @example
 * ```ts
 * 'use server';
 * export async function signOut() {
 *   await (await actionSession(sessions)).signOut();
 *   redirect('/');
 * }
 * ```
 */
export async function actionSession<U = SessionUser>(
  manager: SessionManager<U>,
  options: ActionSessionOptions = {},
): Promise<RequestSession<U>> {
  const { cookies, headers } = await nextHeaders();
  const info: RequestInfo = {
    method: 'POST',
    cookie: sessionCookieHeader(manager, cookies),
    origin: headers.get('origin'),
    secFetchSite: headers.get('sec-fetch-site'),
    userAgent: headers.get('user-agent'),
    ip: options.ip ?? null,
  };
  return loadRequestSession(manager, info, (value) => {
    applySetCookie(cookies, value);
  });
}

/**
 * A route handler (`export const POST = routeHandler(sessions, …)`) with the request's session: Cloakroom's
 * cross-site checks apply to unsafe methods, cookie changes reach the response, and Cloakroom's errors
 * become their documented 403/503 JSON answers. The same as `withSessions` of `cloakroom/http`.
 *
 * @example
 * ```ts
 * export const POST = routeHandler(sessions, async (request, session) => {
 *   await session.signOut();
 *   return Response.redirect(new URL('/', request.url), 303);
 * });
 * ```
 */
export function routeHandler<U>(
  manager: SessionManager<U>,
  handler: SessionHandler<U>,
): (request: Request) => Promise<Response> {
  return withSessions(manager, handler);
}

/**
 * Whether a `Cookie` header carries a well-formed session cookie signed with one of the manager's keys, with
 * no store read: for Next.js `proxy` (middleware) that only routes "signed in or not". A hint, not an
 * authorization: a cookie that was revoked, signed out or has expired on the server still passes, so every
 * page and route handler behind it must still read the session (`getSession`). With unsigned cookies
 * (`signed: false`) anything well-formed passes.
 *
 * @example
 * ```ts
 * export function proxy(request: NextRequest) {
 *   if (!hasSessionCookie(sessions, request.headers.get('cookie')))
 *     return NextResponse.redirect(new URL('/', request.url));
 * }
 * ```
 */
export function hasSessionCookie<U>(manager: SessionManager<U>, cookieHeader: string | null): boolean {
  return manager.isWellSigned(manager.readToken(cookieHeader));
}
