// The revocation cascades hold when the user acts through the HTML pages rather than the JSON API: signing
// out with the form, revoking a session, signing out everywhere, changing the password.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient } from '../api/client.js';
import { PageClient } from '../pages/client.js';
import { assertOAuthError, familyState, inspect, mint, oauthPost } from './support.js';

const PASSWORD = 'a long enough passphrase';

describe('refresh tokens end with sessions ended from the pages', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.stop();
  });

  let counter = 0;
  /** A browser signed in through the form, and an API view of the same cookie to mint tokens. */
  const browser = async (email?: string) => {
    counter += 1;
    const address = email ?? `pages-${counter}-${process.pid}@example.test`;
    const page = new PageClient(app);
    if (email === undefined) await page.register(address, PASSWORD);
    else await page.signIn(address, PASSWORD);
    const api = new ApiClient(app);
    api.cookie = page.cookie;
    return { page, api, email: address };
  };
  const refreshFails = async (token: string) =>
    assertOAuthError(
      await oauthPost(app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token }),
      400,
      'invalid_grant',
    );

  test('the sign-out form', async () => {
    const { page, api } = await browser();
    const tokens = await mint(api);
    const response = await page.post('/sign-out');
    assert.equal(response.status, 303);
    assert.equal(familyState(app, tokens.refresh_token)?.revoked_reason, 'session_ended');
    await refreshFails(tokens.refresh_token);
  });

  test('revoking another session, then signing out everywhere', async () => {
    const laptop = await browser();
    const phone = await browser(laptop.email);
    const tablet = await browser(laptop.email);
    const fromPhone = await mint(phone.api);
    const fromTablet = await mint(tablet.api);
    const fromLaptop = await mint(laptop.api);
    const phoneSession = inspect(fromPhone.access_token).claims.sid as string;
    assert.equal((await laptop.page.post(`/sessions/${phoneSession}/revoke`)).status, 303);
    assert.equal(familyState(app, fromPhone.refresh_token)?.revoked_reason, 'session_ended');
    assert.equal(familyState(app, fromTablet.refresh_token)?.revoked_reason, null);
    assert.equal((await laptop.page.post('/sessions/revoke-all')).status, 303);
    assert.equal(familyState(app, fromTablet.refresh_token)?.revoked_reason, 'user_sessions_ended');
    assert.equal(familyState(app, fromLaptop.refresh_token)?.revoked_reason, 'user_sessions_ended');
    await refreshFails(fromTablet.refresh_token);
  });

  test('the password form', async () => {
    const laptop = await browser();
    const phone = await browser(laptop.email);
    const fromPhone = await mint(phone.api);
    const fromLaptop = await mint(laptop.api);
    const response = await laptop.page.post('/password', {
      currentPassword: PASSWORD,
      newPassword: 'another long passphrase',
    });
    assert.equal(response.status, 303, response.text.slice(0, 300));
    assert.equal(familyState(app, fromPhone.refresh_token)?.revoked_reason, 'user_sessions_ended');
    assert.equal(familyState(app, fromLaptop.refresh_token)?.revoked_reason, 'session_ended');
    await refreshFails(fromLaptop.refresh_token);
  });
});
