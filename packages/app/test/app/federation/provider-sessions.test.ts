// Back-channel logout must end every site session a provider session signed in (issue 15, finding 1): the
// issuer a sign-in records under is the one logout looks up (a configured issuer that is not the provider's
// exact one is refused), two sign-ins of one provider session both end, and a session rotated by a password
// change still ends.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { TestApp } from '../../helpers/app.js';
import { FakeOidcProvider } from '../../../../cloakroom/test/helpers/fake-oidc-provider.js';
import { Browser, siteOrigin, startSiteWithProviders } from './support.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
// The fake provider puts this sid in every ID token it issues.
const SID = 'provider-session-1';

describe('site: back-channel logout ends every session of the provider session', () => {
  let provider: FakeOidcProvider;
  let app: TestApp;

  before(async () => {
    provider = await FakeOidcProvider.start();
    const site = await siteOrigin();
    const common = { clientId: provider.clientId, clientSecret: provider.clientSecret };
    app = await startSiteWithProviders(site, [
      { id: 'fake', issuer: provider.issuer, label: 'Fake', ...common },
      // The provider's discovery document says `http://127.0.0.1:<port>`: equal as a URL, not as a string.
      { id: 'slash', issuer: `${provider.issuer}/`, label: 'Slash', ...common },
    ]);
  });
  after(async () => {
    await app.stop();
    await provider.close();
  });
  beforeEach(() => {
    provider.subject = `user-${randomUUID()}`;
    provider.userinfo = (sub) => ({ sub, email: `${sub}@example.com`, email_verified: true });
  });

  async function signIn(browser: Browser, providerId = 'fake') {
    const start = await browser.navigate(`${app.origin}/auth/oidc/${providerId}/start`);
    if (start.status !== 302) return start;
    const back = await provider.authorize(start.location ?? '');
    return browser.navigate(back.href, provider.issuer);
  }

  async function logoutBySid(providerId = 'fake'): Promise<number> {
    const now = Math.floor(Date.now() / 1000);
    const token = await provider.sign(
      {
        iss: provider.issuer,
        aud: provider.clientId,
        iat: now,
        jti: randomUUID(),
        sid: SID,
        events: { [EVENT]: {} },
      },
      { typ: 'logout+jwt' },
      'RS256',
    );
    const response = await fetch(`${app.origin}/auth/oidc/${providerId}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(),
    });
    await response.arrayBuffer();
    return response.status;
  }

  const meStatus = async (browser: Browser) => (await browser.getJson(`${app.origin}/api/me`)).status;

  test('a configured issuer that is not byte for byte the discovered one: no sign-in at all (502)', async () => {
    const browser = new Browser();
    const hop = await signIn(browser, 'slash');
    // Before the fix this signed in, and a logout for the session answered 200 and ended nothing.
    assert.equal(hop.status, 502, hop.text);
    assert.match(hop.text, /<code class="reason">provider_unavailable<\/code>/);
    assert.equal(await meStatus(browser), 401);
  });

  test('two sign-ins of one provider session (two browsers): logout by sid ends both', async () => {
    const first = new Browser();
    const second = new Browser();
    assert.equal((await signIn(first)).status, 303);
    assert.equal((await signIn(second)).status, 303);
    assert.equal(await meStatus(first), 200);
    assert.equal(await meStatus(second), 200);
    assert.equal(await logoutBySid(), 200);
    assert.equal(await meStatus(second), 401);
    assert.equal(await meStatus(first), 401, 'the older session ends too');
  });

  test('a session rotated by a password change still ends at logout by sid', async () => {
    // A password account that links the provider, then signs in with it in a second browser.
    const email = `rotate-${randomUUID()}@example.com`;
    const password = 'a long enough passphrase';
    const owner = new Browser();
    await owner.navigate(`${app.origin}/register`);
    assert.equal((await owner.post(`${app.origin}/register`, { email, password })).status, 303);
    const link = await owner.post(`${app.origin}/auth/oidc/fake/link`);
    const href = /id="continue" href="([^"]+)"/.exec(link.text)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(href !== undefined, link.text);
    const linked = await owner.navigate((await provider.authorize(href)).href, provider.issuer);
    assert.equal(linked.location, `${app.origin}/sessions?notice=provider-linked`, linked.text);

    const federated = new Browser();
    assert.equal((await signIn(federated)).status, 303);
    const before = (await federated.getJson(`${app.origin}/api/me`)).body as { session: { id: string } };
    const changed = await fetch(`${app.origin}/api/auth/password`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: app.origin,
        cookie: federated.jar(app.origin).header(),
      },
      body: JSON.stringify({ currentPassword: password, newPassword: 'another long passphrase' }),
    });
    assert.equal(changed.status, 200, await changed.clone().text());
    federated.jar(app.origin).store(changed);
    const after = (await federated.getJson(`${app.origin}/api/me`)).body as { session: { id: string } };
    assert.notEqual(after.session.id, before.session.id, 'the password change rotated the session');

    assert.equal(await logoutBySid(), 200);
    assert.equal(await meStatus(federated), 401, 'the rotated session ends');
  });
});
