// The relying party against a real OpenID provider (oidc-provider on a loopback http issuer): a full sign-in,
// userinfo, single-use pre-login records, a replayed authorization code, and key rotation at the provider.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FederationError, MemoryFederationStateStore, OidcRelyingParty } from '../../src/federation/index.js';
import { signInAtProvider, TestOidcProvider } from '../helpers/oidc-provider.js';

const REDIRECT = 'http://127.0.0.1:9/auth/oidc/test/callback';

describe('federation: relying party against oidc-provider', () => {
  let provider: TestOidcProvider;
  let store: MemoryFederationStateStore;
  let rp: OidcRelyingParty;

  before(async () => {
    provider = await TestOidcProvider.start({
      clients: [
        {
          clientId: 'site',
          clientSecret: 'a-client-secret-for-tests',
          redirectUris: [REDIRECT],
          backchannelLogoutUri: 'http://127.0.0.1:9/auth/oidc/test/backchannel-logout',
        },
      ],
    });
    provider.accounts.set('ada', { sub: 'ada', email: 'Ada@Example.com', email_verified: true, name: 'Ada' });
    store = new MemoryFederationStateStore();
    rp = new OidcRelyingParty({
      id: 'test',
      issuer: provider.issuer,
      clientId: 'site',
      clientSecret: 'a-client-secret-for-tests',
      scopes: ['openid', 'email', 'profile'],
      redirectUri: REDIRECT,
      store,
      jwksCooldownSeconds: 0,
    });
  });
  after(() => provider.close());

  async function callbackFor(login: string, returnTo?: string) {
    const start = await rp.startSignIn({ returnTo });
    const callback = new URL(await signInAtProvider(start.url, login));
    return { start, callback };
  }

  test('the authorization request uses the code flow with PKCE S256, state and nonce', async () => {
    const start = await rp.startSignIn();
    const url = new URL(start.url);
    assert.equal(url.origin, provider.issuer);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.ok((url.searchParams.get('state') ?? '').length >= 32);
    assert.ok((url.searchParams.get('nonce') ?? '').length >= 32);
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT);
    assert.match(start.handle, /^[\w-]{43}$/);
    // Only the handle goes to the browser: no state, nonce or verifier in it.
    assert.ok(!start.url.includes(start.handle));
  });

  test('a sign-in returns the verified identity, with the email and name from userinfo', async () => {
    const { start, callback } = await callbackFor('ada', '/notes');
    assert.equal(callback.searchParams.get('iss'), provider.issuer, 'the provider sends RFC 9207 iss');
    const result = await rp.completeSignIn(callback.search, start.handle);
    assert.equal(result.identity.issuer, provider.issuer);
    assert.equal(result.identity.subject, 'ada');
    assert.equal(result.identity.email, 'ada@example.com');
    assert.equal(result.identity.emailVerified, true);
    assert.equal(result.identity.name, 'Ada');
    assert.equal(typeof result.identity.sid, 'string');
    assert.equal(result.returnTo, '/notes');
  });

  test('the pre-login record is single use: the same callback a second time is refused', async () => {
    const { start, callback } = await callbackFor('ada');
    await rp.completeSignIn(callback.search, start.handle);
    const tokenCalls = provider.calls.get('/token') ?? 0;
    await assert.rejects(rp.completeSignIn(callback.search, start.handle), { reason: 'login_expired' });
    assert.equal(provider.calls.get('/token') ?? 0, tokenCalls, 'no call to the token endpoint');
  });

  test('an authorization code replayed with a fresh pre-login record is refused by the provider', async () => {
    const { start, callback } = await callbackFor('ada');
    await rp.completeSignIn(callback.search, start.handle);
    // An attacker holding the code starts their own sign-in and pastes the code into their callback.
    const second = await rp.startSignIn();
    const forged = new URLSearchParams(callback.search);
    forged.set('state', new URL(second.url).searchParams.get('state') ?? '');
    const error = await rp.completeSignIn(forged, second.handle).then(
      () => assert.fail('the replayed code was accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof FederationError);
    // The PKCE verifier and nonce of the second record do not fit the code: the token endpoint refuses it.
    assert.equal(error.reason, 'token_request_failed');
  });

  test('key rotation: after the provider rotates its signing key, sign-in still works', async () => {
    const before = provider.currentKid;
    const first = await callbackFor('ada');
    await rp.completeSignIn(first.callback.search, first.start.handle);
    const jwksFetches = provider.calls.get('/jwks') ?? 0;
    await provider.rotateKeys();
    assert.notEqual(provider.currentKid, before);
    const second = await callbackFor('ada');
    const result = await rp.completeSignIn(second.callback.search, second.start.handle);
    assert.equal(result.identity.subject, 'ada');
    assert.ok((provider.calls.get('/jwks') ?? 0) > jwksFetches, 'the JWKS was fetched again for the new kid');
  });
});
