// OpenID Connect sign-in on the reference site, end to end against a real provider (oidc-provider): the
// start and its pre-login cookie, sign-in of a new person (a password-less account), returnTo, a fresh
// session, never merging by email, linking and unlinking from the account page, /api/me identities, the
// failure page, and back-channel logout sent by the provider itself.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TestApp } from '../../helpers/app.js';
import { TestOidcProvider } from '../../../../cloakroom/test/helpers/oidc-provider.js';
import {
  Browser,
  CLIENT_SECRET,
  followProvider,
  PROVIDER_ID,
  signInThroughProvider,
  siteOrigin,
  startSiteWithProviders,
} from './support.js';

const SESSION_COOKIE = 'cloakroom';
const PRE_LOGIN_COOKIE = 'cloakroom-oidc';

/** The provider URL on the page between the Link button and the provider. */
function continueUrl(page: string): string {
  const href = /id="continue" href="([^"]+)"/.exec(page)?.[1];
  assert.ok(href !== undefined, 'the continue page links to the provider');
  return href.replaceAll('&amp;', '&');
}

function cookieLine(hop: { headers: Headers }, name: string): string | undefined {
  return hop.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

describe('site: sign in with an OpenID provider', () => {
  let provider: TestOidcProvider;
  let app: TestApp;

  before(async () => {
    const site = await siteOrigin();
    provider = await TestOidcProvider.start({
      clients: [
        {
          clientId: 'cloakroom-site',
          clientSecret: CLIENT_SECRET,
          redirectUris: [`${site.origin}/auth/oidc/${PROVIDER_ID}/callback`],
          backchannelLogoutUri: `${site.origin}/auth/oidc/${PROVIDER_ID}/backchannel-logout`,
        },
      ],
    });
    app = await startSiteWithProviders(site, [
      {
        id: PROVIDER_ID,
        issuer: provider.issuer,
        clientId: 'cloakroom-site',
        clientSecret: CLIENT_SECRET,
        scopes: ['openid', 'email', 'profile'],
        label: 'Test provider',
      },
    ]);
  });
  after(async () => {
    await app.stop();
    await provider.close();
  });

  /** A new person at the provider, with a unique email. */
  function person(overrides: Partial<{ email: string; email_verified: boolean }> = {}): string {
    const sub = `p-${randomUUID()}`;
    provider.accounts.set(sub, { sub, email: `${sub}@example.com`, email_verified: true, ...overrides });
    return sub;
  }

  test('the sign-in page offers "Sign in with Test provider"', async () => {
    const page = await new Browser().navigate(`${app.origin}/sign-in`);
    assert.match(
      page.text,
      /<a class="button button-secondary" href="\/auth\/oidc\/test\/start"\s*>Sign in with Test provider<\/a/,
    );
  });

  test('start: 302 to the provider, with a short-lived HttpOnly SameSite=Lax cookie holding only a handle', async () => {
    const browser = new Browser();
    const start = await browser.navigate(`${app.origin}/auth/oidc/${PROVIDER_ID}/start`);
    assert.equal(start.status, 302);
    const location = new URL(start.location ?? '');
    assert.equal(location.origin, provider.issuer);
    assert.equal(
      location.searchParams.get('redirect_uri'),
      `${app.origin}/auth/oidc/${PROVIDER_ID}/callback`,
    );
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    const line = cookieLine(start, PRE_LOGIN_COOKIE) ?? '';
    assert.match(line, /^cloakroom-oidc=[\w-]{43}; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/);
    const handle = /=([\w-]{43});/.exec(line)?.[1] ?? '';
    for (const name of ['state', 'nonce', 'code_challenge']) {
      assert.notEqual(location.searchParams.get(name), handle, `the cookie is not the ${name}`);
    }
    assert.equal(cookieLine(start, SESSION_COOKIE), undefined, 'no session yet');
  });

  test('an unknown provider id is the 404 page', async () => {
    const page = await new Browser().navigate(`${app.origin}/auth/oidc/nope/start`);
    assert.equal(page.status, 404);
  });

  test('a new person signs in: a password-less account, a fresh session, and /api/me lists the identity', async () => {
    const sub = person();
    const browser = new Browser();
    const callback = await signInThroughProvider(browser, app, sub);
    assert.equal(callback.status, 303, callback.text);
    assert.equal(callback.location, `${app.origin}/notes`);
    assert.match(cookieLine(callback, SESSION_COOKIE) ?? '', /HttpOnly/);
    assert.match(
      cookieLine(callback, PRE_LOGIN_COOKIE) ?? '',
      /Max-Age=0/,
      'the pre-login cookie is cleared',
    );
    const me = await browser.getJson(`${app.origin}/api/me`);
    assert.equal(me.status, 200);
    const { user } = me.body as { user: { email: string; identities: unknown } };
    assert.equal(user.email, `${sub}@example.com`);
    assert.deepEqual(user.identities, [{ provider: PROVIDER_ID, subject: sub }]);
    // The session records a federated sign-in (RFC 8176 `fed`), just now.
    const { session } = me.body as { session: { amr: string[]; authTime: string; createdAt: string } };
    assert.deepEqual(session.amr, ['fed']);
    assert.equal(session.authTime, session.createdAt);
    // No provider token in any cookie: only the session and the cleared pre-login cookie were set.
    assert.deepEqual(
      callback.headers
        .getSetCookie()
        .map((line) => line.split('=')[0])
        .sort(),
      [SESSION_COOKIE, PRE_LOGIN_COOKIE],
    );
    assert.ok(!callback.headers.getSetCookie().some((line) => line.includes('eyJ')), 'no JWT in a cookie');

    // The account has no password: password sign-in answers like a wrong password.
    const refused = await fetch(`${app.origin}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.origin },
      body: JSON.stringify({ email: `${sub}@example.com`, password: 'any password at all' }),
    });
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'invalid_credentials');
    // Nor can it re-authenticate with a password: it signs in with its provider again instead.
    const reauth = await fetch(`${app.origin}/api/auth/reauth`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: app.origin,
        cookie: browser.jar(app.origin).header(),
      },
      body: JSON.stringify({ password: 'any password at all' }),
    });
    assert.equal(reauth.status, 401);
    assert.equal(((await reauth.json()) as { error: { code: string } }).error.code, 'invalid_credentials');
  });

  test('signing in again reaches the same account; the session the browser had ends (fixation defence)', async () => {
    const sub = person();
    const browser = new Browser();
    await signInThroughProvider(browser, app, sub);
    const first = (await browser.getJson(`${app.origin}/api/me`)).body as { user: { id: string } };
    const oldCookie = browser.jar(app.origin).header();
    const again = await signInThroughProvider(browser, app, sub);
    assert.equal(again.status, 303);
    const second = (await browser.getJson(`${app.origin}/api/me`)).body as { user: { id: string } };
    assert.equal(second.user.id, first.user.id);
    const stale = await fetch(`${app.origin}/api/me`, { headers: { cookie: oldCookie } });
    assert.equal(stale.status, 401, 'the session from before the sign-in is over');
  });

  test('a locked account (cloakroom admin lock) is refused after the provider signs the person in: 403, no session', async () => {
    const sub = person();
    const browser = new Browser();
    await signInThroughProvider(browser, app, sub);
    const { user } = (await browser.getJson(`${app.origin}/api/me`)).body as { user: { id: string } };
    assert.equal(await app.services.users.setLockedAt(user.id, Date.now()), true);
    const refused = await signInThroughProvider(new Browser(), app, sub);
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.text, /This account is locked/);
    assert.equal(cookieLine(refused, SESSION_COOKIE), undefined, 'no session cookie');
    await app.services.users.setLockedAt(user.id, null);
    assert.equal((await signInThroughProvider(new Browser(), app, sub)).status, 303);
  });

  test('returnTo: a local path is honoured; anything else lands on /notes', async () => {
    const sub = person();
    const cases: [string, string][] = [
      ['/notes?x=1', '/notes?x=1'],
      ['//evil.example/x', '/notes'],
      ['/\\evil.example', '/notes'],
      ['https://evil.example/', '/notes'],
      ['javascript:alert(1)', '/notes'],
    ];
    for (const [returnTo, expected] of cases) {
      const browser = new Browser();
      const callback = await signInThroughProvider(
        browser,
        app,
        sub,
        `/auth/oidc/${PROVIDER_ID}/start?returnTo=${encodeURIComponent(returnTo)}`,
      );
      assert.equal(callback.location, `${app.origin}${expected}`, returnTo);
    }
  });

  test('an email that a password account already uses is not merged: account_exists, no session', async () => {
    const email = `owner-${randomUUID()}@example.com`;
    const owner = await fetch(`${app.origin}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.origin },
      body: JSON.stringify({ email, password: 'a long enough passphrase' }),
    });
    assert.equal(owner.status, 201);
    const sub = person({ email });
    const browser = new Browser();
    const callback = await signInThroughProvider(browser, app, sub);
    assert.equal(callback.status, 409);
    assert.match(callback.text, /<code class="reason">account_exists<\/code>/);
    assert.equal(cookieLine(callback, SESSION_COOKIE), undefined, 'no session');
    assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 401);
  });

  test('the person cancels at the provider (error=access_denied): provider_error, no session', async () => {
    const browser = new Browser();
    const tokenCalls = provider.calls.get('/token') ?? 0;
    const callback = await signInThroughProvider(browser, app, 'nobody-at-the-provider');
    assert.equal(callback.status, 400);
    assert.match(callback.text, /<code class="reason">provider_error<\/code>/);
    assert.equal(cookieLine(callback, SESSION_COOKIE), undefined);
    assert.equal(provider.calls.get('/token') ?? 0, tokenCalls, 'no call to the token endpoint');
  });

  test('an unverified email gets no account', async () => {
    const sub = person({ email_verified: false });
    const callback = await signInThroughProvider(new Browser(), app, sub);
    assert.equal(callback.status, 400);
    assert.match(callback.text, /email_unverified/);
  });

  test('a callback without the pre-login cookie is refused before any call to the provider', async () => {
    const sub = person();
    const browser = new Browser();
    const start = await browser.navigate(`${app.origin}/auth/oidc/${PROVIDER_ID}/start`);
    // Another browser (no cookie) receives the redirect back: login CSRF or a link opened elsewhere.
    const tokenCalls = provider.calls.get('/token') ?? 0;
    const elsewhere = await followProvider(new Browser(), start.location ?? '', sub, app.origin);
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.text, /<h1>Sign-in did not work<\/h1>/);
    assert.match(elsewhere.text, /<code class="reason">login_expired<\/code>/);
    assert.equal(cookieLine(elsewhere, SESSION_COOKIE), undefined);
    assert.equal(provider.calls.get('/token') ?? 0, tokenCalls, 'the token endpoint was not called');
  });

  test('a replayed callback (same URL, same browser) is refused: the pre-login record was used', async () => {
    const sub = person();
    const browser = new Browser();
    const start = await browser.navigate(`${app.origin}/auth/oidc/${PROVIDER_ID}/start`);
    const preLogin = browser.jar(app.origin).header();
    const first = await followProvider(browser, start.location ?? '', sub, app.origin);
    assert.equal(first.status, 303);
    // The same callback URL again, with the same pre-login cookie (a back button, or a leaked URL).
    const again = await fetch(first.url, { headers: { cookie: preLogin }, redirect: 'manual' });
    assert.equal(again.status, 400);
    assert.match(await again.text(), /login_expired/);
  });

  describe('link and unlink from the account page', () => {
    async function passwordUser(browser: Browser): Promise<string> {
      const email = `linker-${randomUUID()}@example.com`;
      await browser.navigate(`${app.origin}/register`);
      const registered = await browser.post(`${app.origin}/register`, {
        email,
        password: 'a long enough passphrase',
      });
      assert.equal(registered.status, 303);
      return email;
    }

    test('a signed-in user links a provider, then signs in with it; unlinking ends that', async () => {
      const browser = new Browser();
      const email = await passwordUser(browser);
      const sub = person({ email: `other-${randomUUID()}@example.com` });
      const page = await browser.navigate(`${app.origin}/sessions`);
      assert.match(page.text, /<h2 id="methods-heading">Sign-in methods<\/h2>/);
      assert.match(page.text, /action="\/auth\/oidc\/test\/link"/);

      const link = await browser.post(`${app.origin}/auth/oidc/${PROVIDER_ID}/link`);
      assert.equal(link.status, 200);
      assert.match(link.text, /<meta http-equiv="refresh" content="0;url=http:\/\/127\.0\.0\.1:\d+\/auth\?/);
      const callback = await followProvider(browser, continueUrl(link.text), sub, app.origin);
      assert.equal(callback.location, `${app.origin}/sessions?notice=provider-linked`, callback.text);
      const me = (await browser.getJson(`${app.origin}/api/me`)).body as {
        user: { email: string; identities: unknown };
      };
      assert.equal(me.user.email, email);
      assert.deepEqual(me.user.identities, [{ provider: PROVIDER_ID, subject: sub }]);

      // Another browser signs in with the provider and reaches the same account.
      const other = new Browser();
      await signInThroughProvider(other, app, sub);
      const viaProvider = (await other.getJson(`${app.origin}/api/me`)).body as { user: { email: string } };
      assert.equal(viaProvider.user.email, email);

      const unlink = await browser.post(`${app.origin}/auth/oidc/${PROVIDER_ID}/unlink`, { subject: sub });
      assert.equal(unlink.status, 303);
      assert.equal(unlink.location, `${app.origin}/sessions?notice=provider-unlinked`);
      const after = (await browser.getJson(`${app.origin}/api/me`)).body as { user: { identities: unknown } };
      assert.deepEqual(after.user.identities, []);
    });

    test('unlinking the only way into a password-less account is refused', async () => {
      const sub = person();
      const browser = new Browser();
      await signInThroughProvider(browser, app, sub);
      const page = await browser.navigate(`${app.origin}/sessions`);
      assert.match(page.text, /Your only way to sign in/);
      const unlink = await browser.post(`${app.origin}/auth/oidc/${PROVIDER_ID}/unlink`, { subject: sub });
      assert.equal(unlink.status, 409);
      assert.match(unlink.text, /last_sign_in_method/);
      const me = (await browser.getJson(`${app.origin}/api/me`)).body as { user: { identities: unknown[] } };
      assert.equal(me.user.identities.length, 1);
    });

    test('a provider account linked to someone else cannot be linked again: identity_in_use', async () => {
      const sub = person();
      await signInThroughProvider(new Browser(), app, sub); // sub now has its own account
      const browser = new Browser();
      await passwordUser(browser);
      const link = await browser.post(`${app.origin}/auth/oidc/${PROVIDER_ID}/link`);
      const callback = await followProvider(browser, continueUrl(link.text), sub, app.origin);
      assert.equal(callback.status, 409);
      assert.match(callback.text, /identity_in_use/);
    });

    test('link and unlink need a signed-in user', async () => {
      const browser = new Browser();
      const link = await browser.post(`${app.origin}/auth/oidc/${PROVIDER_ID}/link`);
      assert.equal(link.status, 303);
      assert.equal(link.location, `${app.origin}/sign-in`);
    });
  });

  describe('back-channel logout', () => {
    test('logging out at the provider ends the site session it signed in (logout token with sid)', async () => {
      const sub = person();
      const browser = new Browser();
      await signInThroughProvider(browser, app, sub);
      assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 200);

      // RP-initiated logout at the provider, in the same browser: its confirmation form, then the post.
      const endPage = await browser.navigate(`${provider.issuer}/session/end?client_id=cloakroom-site`);
      assert.equal(endPage.status, 200, endPage.text);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(endPage.text)?.[1];
      assert.ok(xsrf, 'the provider asks for confirmation');
      const confirmed = await browser.post(`${provider.issuer}/session/end/confirm`, { xsrf, logout: 'yes' });
      assert.ok(confirmed.status === 303 || confirmed.status === 302, `${confirmed.status}`);
      assert.deepEqual(provider.errors, [], 'the provider delivered the logout');
      assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 401, 'the site session ended');
    });

    test('an invalid logout token answers 400 and ends nothing', async () => {
      const sub = person();
      const browser = new Browser();
      await signInThroughProvider(browser, app, sub);
      for (const body of ['logout_token=not-a-jwt', 'logout_token=', 'other=1']) {
        const response = await fetch(`${app.origin}/auth/oidc/${PROVIDER_ID}/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        assert.equal(response.status, 400, body);
        assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
        assert.equal(response.headers.get('cache-control'), 'no-store');
      }
      assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 200, 'still signed in');
    });
  });
});
