// Errors at the border, through the site: a bad answer from the provider ends on the failure page with its
// reason code, no session, and nothing more asked of the provider; back-channel logout by sub, replay and
// forgery; and the provider file's validation at start.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { configFromEnv, ConfigError } from '../../../src/app/config.js';
import { freePort, type TestApp } from '../../helpers/app.js';
import { FakeOidcProvider } from '../../../../cloakroom/test/helpers/fake-oidc-provider.js';
import { Browser, siteOrigin, startSiteWithProviders } from './support.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

describe('site: errors at the border (fake provider)', () => {
  let provider: FakeOidcProvider;
  let app: TestApp;

  before(async () => {
    provider = await FakeOidcProvider.start();
    const site = await siteOrigin();
    const closed = await freePort(); // nothing listens there: a provider that is down
    app = await startSiteWithProviders(site, [
      {
        id: 'fake',
        issuer: provider.issuer,
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
        label: 'Fake',
      },
      { id: 'down', issuer: `http://127.0.0.1:${closed}`, clientId: 'x', clientSecret: 'y', label: 'Down' },
      {
        id: 'lax',
        issuer: provider.issuer,
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
        label: 'Lax',
        emailVerifiedClaim: 'optional',
      },
    ]);
  });
  after(async () => {
    await app.stop();
    await provider.close();
  });
  beforeEach(() => {
    provider.idToken = (token) => token;
    provider.authorizationResponse = (params) => params;
    provider.subject = `user-${randomUUID()}`;
    provider.userinfo = (sub) => ({ sub, email: `${sub}@example.com`, email_verified: true });
  });

  /** Start at the site, follow the fake provider's redirect back, and deliver it to the site. */
  async function callback(browser: Browser, change?: (url: URL) => void, providerId = 'fake') {
    const start = await browser.navigate(`${app.origin}/auth/oidc/${providerId}/start`);
    assert.equal(start.status, 302);
    const back = await provider.authorize(start.location ?? '');
    change?.(back);
    return browser.navigate(back.href, provider.issuer);
  }

  function assertRefused(hop: { status: number; text: string; headers: Headers }, reason: string) {
    assert.equal(hop.status, 400, hop.text);
    assert.match(hop.text, new RegExp(`<code class="reason">${reason}</code>`));
    assert.ok(
      !hop.headers.getSetCookie().some((line) => /^cloakroom=[^;]/.test(line)),
      'no session cookie is set',
    );
    assert.ok(hop.headers.getSetCookie().some((line) => /^cloakroom-oidc=;.*Max-Age=0/.test(line)));
    assert.doesNotMatch(hop.text, /eyJ/, 'no token on the page');
  }

  test('the happy path signs in (the baseline)', async () => {
    const browser = new Browser();
    const hop = await callback(browser);
    assert.equal(hop.status, 303);
    assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 200);
  });

  test('a bad ID token (wrong nonce): failure page, no session, no userinfo call', async () => {
    provider.idToken = (token) => ({ ...token, claims: { ...token.claims, nonce: 'wrong' } });
    const browser = new Browser();
    const [token, userinfo] = [provider.count('/token'), provider.count('/userinfo')];
    assertRefused(await callback(browser), 'invalid_id_token');
    assert.equal(provider.count('/token') - token, 1);
    assert.equal(provider.count('/userinfo') - userinfo, 0);
    assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 401);
  });

  test('a bad signature (HS256 with the client secret): failure page, no userinfo call', async () => {
    provider.idToken = (token) => ({ ...token, signer: 'HS256-client-secret' });
    const userinfo = provider.count('/userinfo');
    assertRefused(await callback(new Browser()), 'invalid_id_token');
    assert.equal(provider.count('/userinfo') - userinfo, 0);
  });

  test('a wrong state: failure page, and the token endpoint is never called', async () => {
    const token = provider.count('/token');
    assertRefused(
      await callback(new Browser(), (url) => url.searchParams.set('state', 'forged')),
      'state_mismatch',
    );
    assert.equal(provider.count('/token') - token, 0);
  });

  test('a wrong iss response parameter: issuer_mismatch', async () => {
    assertRefused(
      await callback(new Browser(), (url) => url.searchParams.set('iss', 'https://attacker.example')),
      'issuer_mismatch',
    );
  });

  test('a userinfo sub mismatch: userinfo_mismatch', async () => {
    provider.userinfo = () => ({ sub: 'someone-else', email: 'mallory@example.com' });
    assertRefused(await callback(new Browser()), 'userinfo_mismatch');
  });

  test('a new person without a usable email gets no account: email_missing', async () => {
    provider.userinfo = (sub) => ({ sub });
    assertRefused(await callback(new Browser()), 'email_missing');
    provider.userinfo = (sub) => ({ sub, email: 'not an address' });
    assertRefused(await callback(new Browser()), 'email_missing');
  });

  test('a new person whose provider does not say email_verified gets no account: email_unverified', async () => {
    // The fake's ID token has no email claims, so userinfo is all the provider says.
    provider.userinfo = (sub) => ({ sub, email: `${sub}@example.com` });
    const browser = new Browser();
    assertRefused(await callback(browser), 'email_unverified');
    assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 401);
    provider.userinfo = (sub) => ({ sub, email: `${sub}@example.com`, email_verified: 'true' });
    assertRefused(await callback(new Browser()), 'email_unverified'); // only the JSON boolean true counts
  });

  test('emailVerifiedClaim "optional": a missing claim is accepted, false is still refused', async () => {
    provider.userinfo = (sub) => ({ sub, email: `${sub}@example.com` });
    const browser = new Browser();
    assert.equal((await callback(browser, undefined, 'lax')).status, 303);
    assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 200);
    provider.subject = `user-${randomUUID()}`;
    provider.userinfo = (sub) => ({ sub, email: `${sub}@example.com`, email_verified: false });
    assertRefused(await callback(new Browser(), undefined, 'lax'), 'email_unverified');
  });

  test('a provider that is down: the start answers the failure page (502 provider_unavailable)', async () => {
    const hop = await new Browser().navigate(`${app.origin}/auth/oidc/down/start`);
    assert.equal(hop.status, 502);
    assert.match(hop.text, /provider_unavailable/);
  });

  describe('back-channel logout', () => {
    async function signedIn(): Promise<{ browser: Browser; subject: string }> {
      const browser = new Browser();
      const subject = provider.subject;
      assert.equal((await callback(browser)).status, 303);
      return { browser, subject };
    }

    function logoutToken(claims: Record<string, unknown>, signer: 'RS256' | 'RS256-foreign' = 'RS256') {
      const now = Math.floor(Date.now() / 1000);
      return provider.sign(
        {
          iss: provider.issuer,
          aud: provider.clientId,
          iat: now,
          exp: now + 120,
          jti: randomUUID(),
          events: { [EVENT]: {} },
          ...claims,
        },
        { typ: 'logout+jwt' },
        signer,
      );
    }

    const post = (token: string) =>
      fetch(`${app.origin}/auth/oidc/fake/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }).toString(),
      });

    test('by sub: every session of the linked account ends; the same token again is 400', async () => {
      const first = await signedIn();
      provider.subject = first.subject;
      const second = await signedIn(); // the same person in another browser
      const token = await logoutToken({ sub: first.subject });
      const response = await post(token);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), '');
      assert.equal((await first.browser.getJson(`${app.origin}/api/me`)).status, 401);
      assert.equal((await second.browser.getJson(`${app.origin}/api/me`)).status, 401);
      assert.equal((await post(token)).status, 400, 'replayed jti');
    });

    test('by sid: the session that provider session signed in ends', async () => {
      const { browser } = await signedIn();
      const response = await post(await logoutToken({ sid: 'provider-session-1' }));
      assert.equal(response.status, 200);
      assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 401);
    });

    test('a forged token (foreign key) or one without the event: 400, nothing ends', async () => {
      const { browser, subject } = await signedIn();
      assert.equal((await post(await logoutToken({ sub: subject }, 'RS256-foreign'))).status, 400);
      assert.equal((await post(await logoutToken({ sub: subject, events: {} }))).status, 400);
      assert.equal((await post(await logoutToken({ sub: subject, nonce: 'n' }))).status, 400);
      assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 200);
    });

    test('an unknown provider id is 404', async () => {
      const response = await fetch(`${app.origin}/auth/oidc/nope/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=x',
      });
      assert.equal(response.status, 404);
    });
  });
});

describe('site: CLOAKROOM_OIDC_CONFIG validation at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloakroom-oidc-config-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const load = (path: string) => configFromEnv({ PORT: '3000', CLOAKROOM_OIDC_CONFIG: path });
  const good = {
    id: 'corp',
    issuer: 'https://idp.example.com',
    clientId: 'site',
    clientSecret: 'TOP-SECRET-VALUE',
    label: 'Corp',
  };

  test('a valid file; scopes default to openid and email', () => {
    const config = load(file('good.json', JSON.stringify([good])));
    assert.deepEqual(config.oidcProviders, [{ ...good, scopes: ['openid', 'email'] }]);
  });

  test('emailVerifiedClaim is kept when given ("required" is what its absence means)', () => {
    const config = load(file('lax.json', JSON.stringify([{ ...good, emailVerifiedClaim: 'optional' }])));
    assert.equal(config.oidcProviders[0]?.emailVerifiedClaim, 'optional');
  });

  test('without the variable there are no providers', () => {
    assert.deepEqual(configFromEnv({ PORT: '3000' }).oidcProviders, []);
  });

  const bad: [string, string, RegExp][] = [
    ['missing file', join(dir, 'nope.json'), /cannot read .*ENOENT/],
    ['not JSON', 'not json {TOP-SECRET-VALUE', /is not valid JSON/],
    ['not an array', JSON.stringify(good), /the list/],
    [
      'http issuer off loopback',
      JSON.stringify([{ ...good, issuer: 'http://idp.example.com' }]),
      /0\.issuer: .*https/,
    ],
    [
      'scopes without openid',
      JSON.stringify([{ ...good, scopes: ['email'] }]),
      /0\.scopes: must include "openid"/,
    ],
    ['a bad id', JSON.stringify([{ ...good, id: 'Bad Id' }]), /0\.id/],
    ['an id twice', JSON.stringify([good, good]), /1\.id: is used twice/],
    ['an unknown field', JSON.stringify([{ ...good, extra: 1 }]), /extra/],
    ['a missing secret', JSON.stringify([{ ...good, clientSecret: undefined }]), /0\.clientSecret/],
    [
      'an unknown emailVerifiedClaim',
      JSON.stringify([{ ...good, emailVerifiedClaim: 'trusted' }]),
      /0\.emailVerifiedClaim/,
    ],
  ];
  for (const [name, content, message] of bad) {
    test(`refused with a clear message: ${name}`, () => {
      const path = name === 'missing file' ? content : file(`${randomUUID()}.json`, content);
      const error = (() => {
        try {
          load(path);
        } catch (e) {
          return e;
        }
        return null;
      })();
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /^CLOAKROOM_OIDC_CONFIG: /);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /TOP-SECRET-VALUE/);
    });
  }
});
