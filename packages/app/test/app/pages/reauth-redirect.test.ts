// The error page's answer to `reauthentication_required` from a page route that did not name its return path
// (a route calling `requireRecentAuth` itself): a GET returns to itself, a form post to the page it was on
// (the Referer's path), and only ever to a local path.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { pino } from 'pino';
import { ReauthenticationRequiredError } from 'cloakroom';
import { RequestContext } from '../../../src/app/http/context.js';
import { RecentAuthRequiredError } from '../../../src/app/http/recent-auth.js';
import { errorPage } from '../../../src/app/pages/error-page.js';

function contextOf(method: string, url: string, headers: Record<string, string> = {}): RequestContext {
  const req = { method, url, headers, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
  return new RequestContext(req, pino({ level: 'silent' }), 'test');
}

const locationOf = (ctx: RequestContext, error: unknown): string | undefined => {
  const reply = errorPage(ctx, error);
  assert.equal(reply.status, 303);
  return reply.headers?.location;
};

test('a reauthentication_required page answer goes to the prompt with a local return path', () => {
  const required = new ReauthenticationRequiredError(600);
  assert.equal(
    locationOf(contextOf('GET', '/security?tab=2'), required),
    '/reauth?returnTo=%2Fsecurity%3Ftab%3D2',
  );
  assert.equal(
    locationOf(
      contextOf('POST', '/security/totp/disable', { referer: 'http://127.0.0.1:3000/security' }),
      required,
    ),
    '/reauth?returnTo=%2Fsecurity',
  );
  assert.equal(locationOf(contextOf('POST', '/x'), required), '/reauth?returnTo=%2F');
  assert.equal(
    locationOf(contextOf('POST', '/x', { referer: 'https://evil.example//evil.example/' }), required),
    '/reauth?returnTo=%2F',
  );
  assert.equal(
    locationOf(contextOf('POST', '/x', { referer: 'not a url' }), required),
    '/reauth?returnTo=%2F',
  );
  // A route that names its page wins over the Referer.
  assert.equal(
    locationOf(
      contextOf('POST', '/account/delete', { referer: 'http://127.0.0.1/notes' }),
      new RecentAuthRequiredError(600, '/account'),
    ),
    '/reauth?returnTo=%2Faccount',
  );
});
