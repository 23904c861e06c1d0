// The real site, in process, for the HTTP fuzz tests: throttling loosened (so cases reach the parsers rather
// than 429), one account signed in (for the routes behind a session), and one request per case, bounded.
import assert from 'node:assert/strict';
import type { ThrottleRule } from '../../../../cloakroom/src/accounts/throttle.js';
import { CASE_TIME_LIMIT_MS } from '../../../../cloakroom/test/helpers/fuzz.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { COOKIE, sessionCookieOf } from '../api/client.js';

export const PASSWORD = 'correct horse battery';
const LOOSE: ThrottleRule = { limit: 1e9, windowSeconds: 3600, freeFailures: 1e9, maxDelaySeconds: 1 };

export interface FuzzSite {
  app: TestApp;
  /** The `Cookie` header of the signed-in account. */
  cookie: string;
  /** One request; a stalled answer rejects (a hang is a failure). */
  send(
    method: string,
    path: string,
    options: { body: string | Uint8Array; contentType: string | null; signedIn: boolean },
  ): Promise<{ status: number; text: string; session: string | undefined }>;
}

export async function startFuzzSite(email: string): Promise<FuzzSite> {
  const app = await startTestApp({ throttle: { account: LOOSE, address: LOOSE, registration: LOOSE } });
  const registered = await fetch(new URL('/api/auth/register', app.origin), {
    method: 'POST',
    headers: { origin: app.origin, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(registered.status, 201);
  const cookie = `${COOKIE}=${sessionCookieOf(registered) ?? ''}`;
  return {
    app,
    cookie,
    async send(method, path, { body, contentType, signedIn }) {
      const headers: Record<string, string> = { origin: app.origin };
      if (contentType !== null) headers['content-type'] = contentType;
      if (signedIn) headers.cookie = cookie;
      const response = await fetch(new URL(path, app.origin), {
        method,
        headers,
        body: typeof body === 'string' ? body : new Uint8Array(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(CASE_TIME_LIMIT_MS),
      });
      const text = await response.text();
      const session = sessionCookieOf(response);
      return { status: response.status, text, session: session === '' ? undefined : session };
    },
  };
}
