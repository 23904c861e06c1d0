// The federation events over HTTP: a sign-in with an OpenID provider (sign_in.succeeded with method
// `federation`, then federation.signed_in) and the provider's back-channel logout
// (federation.backchannel_logout, and session.revoked by the provider), with no token in any event or log line.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { SecurityEvent } from 'cloakroom/events';
import { FakeOidcProvider } from '../../../../cloakroom/test/helpers/fake-oidc-provider.js';
import type { TestApp } from '../../helpers/app.js';
import { captureLog } from '../api/client.js';
import { Browser, siteOrigin, startSiteWithProviders } from '../federation/support.js';
import { assertNoSecrets, eventsOf, recordEvents } from './support.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
// The fake provider puts this sid in every ID token it issues.
const SID = 'provider-session-1';

describe('security events of federated sign-in and back-channel logout', () => {
  let provider: FakeOidcProvider;
  let app: TestApp;
  let events: SecurityEvent[];
  const logged = captureLog();
  const secrets: string[] = [];

  before(async () => {
    provider = await FakeOidcProvider.start();
    const site = await siteOrigin();
    app = await startSiteWithProviders(
      site,
      [
        {
          id: 'fake',
          issuer: provider.issuer,
          label: 'Fake',
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
        },
      ],
      {},
      { log: logged.log },
    );
    events = recordEvents(app);
    secrets.push(provider.clientSecret);
  });
  after(async () => {
    await app.stop();
    await provider.close();
  });

  test('sign-in, then logout by sid: the events, who and where, and no secret', async () => {
    provider.subject = `user-${randomUUID()}`;
    provider.userinfo = (sub) => ({ sub, email: `${sub}@example.com`, email_verified: true });
    const browser = new Browser();
    const start = await browser.navigate(`${app.origin}/auth/oidc/fake/start`);
    assert.equal(start.status, 302, start.text);
    const back = await provider.authorize(start.location ?? '');
    secrets.push(back.searchParams.get('code') ?? '');
    const callback = await browser.navigate(back.href, provider.issuer);
    assert.equal(callback.status, 303, callback.text);
    const cookie = /(?:^|; )cloakroom=([^;]+)/.exec(browser.jar(app.origin).header())?.[1];
    assert.ok(cookie !== undefined, 'signed in: the session cookie is set');
    secrets.push(cookie);

    const signedIn = eventsOf(events, 'sign_in.succeeded').at(-1)!;
    assert.equal(signedIn.method, 'federation');
    assert.ok(signedIn.amr?.includes('fed'));
    const [federated] = eventsOf(events, 'federation.signed_in');
    assert.equal(federated?.provider, 'fake');
    assert.equal(federated.accountCreated, true);
    assert.equal(federated.userId, signedIn.userId);
    assert.equal(federated.sessionId, signedIn.sessionId);
    assert.match(federated.ip ?? '', /127\.0\.0\.1/);

    const now = Math.floor(Date.now() / 1000);
    const logoutToken = await provider.sign(
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
    secrets.push(logoutToken);
    const response = await fetch(`${app.origin}/auth/oidc/fake/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
    });
    assert.equal(response.status, 200, await response.text());
    const [logout] = eventsOf(events, 'federation.backchannel_logout');
    assert.deepEqual([logout?.provider, logout?.scope, logout?.sessionsEnded], ['fake', 'sid', 1]);
    const revoked = eventsOf(events, 'session.revoked').at(-1);
    assert.equal(revoked?.by, 'provider');
    assert.equal(revoked.sessionId, signedIn.sessionId);

    await app.services.activity.log.idle();
    assertNoSecrets(JSON.stringify(events) + logged.text(), secrets);
  });
});
