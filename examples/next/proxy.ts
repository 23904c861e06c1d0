// Next.js proxy (formerly middleware): sends visitors without a signed session cookie away from the
// dashboard, with no store read. Only a hint: a revoked or expired session still has a validly signed
// cookie, so the page itself reads the session (app/dashboard/page.tsx).
import { NextResponse, type NextRequest } from 'next/server';
import { hasSessionCookie } from 'cloakroom/next';
import { sessions } from './lib/sessions';

export function proxy(request: NextRequest) {
  if (!hasSessionCookie(sessions, request.headers.get('cookie'))) {
    return NextResponse.redirect(new URL('/', request.url));
  }
  return NextResponse.next();
}

export const config = { matcher: ['/dashboard/:path*'] };
