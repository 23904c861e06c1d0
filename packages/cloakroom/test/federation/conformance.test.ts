// Negative tests in the spirit of the OpenID Connect conformance suite for relying parties, against a fake
// provider whose answers each test bends. Every refusal has its reason code, and after a bad ID token the
// relying party asks nothing more of the provider (no second token call, no userinfo call).
import assert from 'node:assert/strict';
import type { JWTPayload } from 'jose';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  FederationError,
  MemoryFederationStateStore,
  OidcRelyingParty,
  type FederationFailureReason,
} from '../../src/federation/index.js';
import { FakeOidcProvider, type IssuedToken } from '../helpers/fake-oidc-provider.js';

const without = (claims: JWTPayload, name: string): JWTPayload =>
  Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name));

const REDIRECT = 'http://127.0.0.1:9/auth/oidc/fake/callback';

describe('federation: relying-party conformance (negative cases)', () => {
  let provider: FakeOidcProvider;
  let rp: OidcRelyingParty;

  before(async () => {
    provider = await FakeOidcProvider.start();
  });
  after(() => provider.close());

  beforeEach(() => {
    provider.idToken = (token) => token;
    provider.authorizationResponse = (params) => params;
    provider.userinfo = (sub) => ({ sub, email: 'grace@example.com', email_verified: true });
    provider.metadata = {};
    provider.failing.clear();
    provider.subject = 'user-1';
    // A fresh relying party per test: discovery and the JWKS cache start empty.
    rp = new OidcRelyingParty({
      id: 'fake',
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      redirectUri: REDIRECT,
      store: new MemoryFederationStateStore(),
    });
  });

  async function attempt(): Promise<{ callback: URL; handle: string }> {
    const start = await rp.startSignIn();
    return { callback: await provider.authorize(start.url), handle: start.handle };
  }

  async function refused(
    reason: FederationFailureReason,
    run: () => Promise<unknown>,
    expectCalls: { token: number; userinfo: number },
  ): Promise<FederationError> {
    const tokenBefore = provider.count('/token');
    const userinfoBefore = provider.count('/userinfo');
    const error = await run().then(
      () => assert.fail(`accepted; expected ${reason}`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof FederationError, String(error));
    assert.equal(error.reason, reason, error.message);
    assert.equal(provider.count('/token') - tokenBefore, expectCalls.token, 'token endpoint calls');
    assert.equal(provider.count('/userinfo') - userinfoBefore, expectCalls.userinfo, 'userinfo calls');
    return error;
  }

  const NONE = { token: 0, userinfo: 0 };
  const AFTER_TOKEN = { token: 1, userinfo: 0 };

  async function badIdToken(change: (token: IssuedToken) => IssuedToken): Promise<void> {
    provider.idToken = change;
    const { callback, handle } = await attempt();
    await refused('invalid_id_token', () => rp.completeSignIn(callback.search, handle), AFTER_TOKEN);
  }

  test('the happy path through the fake provider signs in (the baseline the cases below bend)', async () => {
    const { callback, handle } = await attempt();
    const result = await rp.completeSignIn(callback.search, handle);
    assert.equal(result.identity.subject, 'user-1');
    assert.equal(result.identity.email, 'grace@example.com');
    assert.equal(result.identity.sid, 'provider-session-1');
  });

  test('email_verified speaks of the address from the same answer, and only a JSON boolean counts', async () => {
    // The ID token vouches for another address; userinfo's address comes without the claim.
    provider.idToken = (token) => ({
      ...token,
      claims: { ...token.claims, email: 'old@example.com', email_verified: true },
    });
    provider.userinfo = (sub) => ({ sub, email: 'new@example.com' });
    let { callback, handle } = await attempt();
    let { identity } = await rp.completeSignIn(callback.search, handle);
    assert.equal(identity.email, 'new@example.com');
    assert.equal(identity.emailVerified, null);

    provider.userinfo = (sub) => ({ sub, email: 'new@example.com', email_verified: 'true' });
    ({ callback, handle } = await attempt());
    ({ identity } = await rp.completeSignIn(callback.search, handle));
    assert.equal(identity.emailVerified, null);

    provider.userinfo = (sub) => ({ sub });
    ({ callback, handle } = await attempt());
    ({ identity } = await rp.completeSignIn(callback.search, handle));
    assert.deepEqual([identity.email, identity.emailVerified], ['old@example.com', true]);
  });

  test('ES256-signed ID tokens from the published EC key are accepted', async () => {
    provider.idToken = (token) => ({ ...token, signer: 'ES256' });
    const { callback, handle } = await attempt();
    assert.equal((await rp.completeSignIn(callback.search, handle)).identity.subject, 'user-1');
  });

  describe('state and the pre-login record', () => {
    test('missing state', async () => {
      const { callback, handle } = await attempt();
      callback.searchParams.delete('state');
      await refused('state_mismatch', () => rp.completeSignIn(callback.search, handle), NONE);
    });

    test('wrong state', async () => {
      const { callback, handle } = await attempt();
      callback.searchParams.set('state', 'x'.repeat(43));
      await refused('state_mismatch', () => rp.completeSignIn(callback.search, handle), NONE);
    });

    test('state repeated in the query', async () => {
      const { callback, handle } = await attempt();
      callback.searchParams.append('state', callback.searchParams.get('state') ?? '');
      await refused('state_mismatch', () => rp.completeSignIn(callback.search, handle), NONE);
    });

    test('replayed state: the second use of a callback finds no pre-login record', async () => {
      const { callback, handle } = await attempt();
      await rp.completeSignIn(callback.search, handle);
      await refused('login_expired', () => rp.completeSignIn(callback.search, handle), NONE);
    });

    test('a state from another browser: its handle is not this browser’s', async () => {
      const mine = await attempt();
      const theirs = await attempt();
      // The victim's browser holds `mine.handle`; the attacker's callback carries their own state.
      await refused('state_mismatch', () => rp.completeSignIn(theirs.callback.search, mine.handle), NONE);
    });

    test('no pre-login cookie, or a malformed one', async () => {
      const { callback } = await attempt();
      await refused('login_expired', () => rp.completeSignIn(callback.search, null), NONE);
      await refused('login_expired', () => rp.completeSignIn(callback.search, 'not-a-handle'), NONE);
    });

    test('a failed check still uses up the pre-login record', async () => {
      const { callback, handle } = await attempt();
      const good = new URLSearchParams(callback.search);
      callback.searchParams.set('state', 'wrong');
      await refused('state_mismatch', () => rp.completeSignIn(callback.search, handle), NONE);
      await refused('login_expired', () => rp.completeSignIn(good, handle), NONE);
    });
  });

  describe('the authorization response', () => {
    test('wrong iss response parameter (RFC 9207 mix-up defence)', async () => {
      provider.authorizationResponse = (params) => (params.set('iss', 'https://attacker.example'), params);
      const { callback, handle } = await attempt();
      await refused('issuer_mismatch', () => rp.completeSignIn(callback.search, handle), NONE);
    });

    test('missing iss response parameter when the provider advertises it', async () => {
      provider.authorizationResponse = (params) => (params.delete('iss'), params);
      const { callback, handle } = await attempt();
      await refused('issuer_mismatch', () => rp.completeSignIn(callback.search, handle), NONE);
    });

    test('missing iss is accepted from a provider that does not advertise it', async () => {
      provider.metadata = { authorization_response_iss_parameter_supported: false };
      provider.authorizationResponse = (params) => (params.delete('iss'), params);
      const { callback, handle } = await attempt();
      assert.equal((await rp.completeSignIn(callback.search, handle)).identity.subject, 'user-1');
    });

    test('an error response from the provider', async () => {
      provider.authorizationResponse = (params) =>
        new URLSearchParams({
          error: 'access_denied',
          state: params.get('state') ?? '',
          iss: provider.issuer,
        });
      const { callback, handle } = await attempt();
      await refused('provider_error', () => rp.completeSignIn(callback.search, handle), NONE);
    });
  });

  describe('the ID token', () => {
    test('wrong nonce', () => badIdToken((t) => ({ ...t, claims: { ...t.claims, nonce: 'another-nonce' } })));
    test('missing nonce', () => badIdToken((t) => ({ ...t, claims: without(t.claims, 'nonce') })));
    test('wrong iss', () =>
      badIdToken((t) => ({ ...t, claims: { ...t.claims, iss: 'https://attacker.example' } })));
    test('wrong aud', () => badIdToken((t) => ({ ...t, claims: { ...t.claims, aud: 'another-client' } })));
    test('missing aud', () => badIdToken((t) => ({ ...t, claims: without(t.claims, 'aud') })));
    test('several audiences with an azp that is another client', () =>
      badIdToken((t) => ({
        ...t,
        claims: { ...t.claims, aud: [provider.clientId, 'another-client'], azp: 'another-client' },
      })));
    test('missing sub', () => badIdToken((t) => ({ ...t, claims: without(t.claims, 'sub') })));
    test('missing iat', () => badIdToken((t) => ({ ...t, claims: without(t.claims, 'iat') })));
    test('expired', () =>
      badIdToken((t) => ({ ...t, claims: { ...t.claims, exp: Math.floor(Date.now() / 1000) - 3600 } })));
    test('alg: none', () => badIdToken((t) => ({ ...t, signer: 'none' })));
    test('RS256 signed by a key the provider never published', () =>
      badIdToken((t) => ({ ...t, signer: 'RS256-foreign' })));
    test('ES256 signed by a key the provider never published', () =>
      badIdToken((t) => ({ ...t, signer: 'ES256-foreign' })));
    test('HS256 signed with the client secret, when HS256 is not registered', () =>
      badIdToken((t) => ({ ...t, signer: 'HS256-client-secret' })));
    test('HS256 with the client secret is refused even when the provider does not advertise it', async () => {
      provider.metadata = { id_token_signing_alg_values_supported: ['RS256'] };
      await badIdToken((t) => ({ ...t, signer: 'HS256-client-secret' }));
    });
    test('a kid the JWKS does not have', () => badIdToken((t) => ({ ...t, header: { kid: 'unknown-kid' } })));

    test('HS256 is accepted only when the relying party is registered for it', async () => {
      rp = new OidcRelyingParty({
        id: 'fake',
        issuer: provider.issuer,
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
        redirectUri: REDIRECT,
        store: new MemoryFederationStateStore(),
        idTokenAlgorithms: ['HS256'],
      });
      provider.idToken = (t) => ({ ...t, signer: 'HS256-client-secret' });
      const { callback, handle } = await attempt();
      assert.equal((await rp.completeSignIn(callback.search, handle)).identity.subject, 'user-1');
    });

    test('alg none cannot be configured', () => {
      assert.throws(
        () =>
          new OidcRelyingParty({
            id: 'fake',
            issuer: provider.issuer,
            clientId: provider.clientId,
            redirectUri: REDIRECT,
            store: new MemoryFederationStateStore(),
            idTokenAlgorithms: ['none' as 'RS256'],
          }),
        TypeError,
      );
    });
  });

  describe('the token endpoint and userinfo', () => {
    test('an authorization code replayed (the provider refuses the second use)', async () => {
      const first = await attempt();
      await rp.completeSignIn(first.callback.search, first.handle);
      // Same code, a fresh pre-login record with its own state: the code is already used.
      const second = await rp.startSignIn();
      const replay = new URLSearchParams(first.callback.search);
      replay.set('state', new URL(second.url).searchParams.get('state') ?? '');
      await refused('token_request_failed', () => rp.completeSignIn(replay, second.handle), AFTER_TOKEN);
    });

    test('userinfo sub mismatch', async () => {
      provider.userinfo = () => ({ sub: 'someone-else', email: 'mallory@example.com' });
      const { callback, handle } = await attempt();
      await refused('userinfo_mismatch', () => rp.completeSignIn(callback.search, handle), {
        token: 1,
        userinfo: 1,
      });
    });

    test('the token endpoint down', async () => {
      const { callback, handle } = await attempt();
      provider.failing.add('/token');
      await refused('provider_unavailable', () => rp.completeSignIn(callback.search, handle), AFTER_TOKEN);
    });

    test('discovery down: the start fails, and works once the provider is back', async () => {
      provider.failing.add('/.well-known/openid-configuration');
      await assert.rejects(rp.startSignIn(), { reason: 'provider_unavailable' });
      provider.failing.clear();
      const { callback, handle } = await attempt();
      assert.equal((await rp.completeSignIn(callback.search, handle)).identity.subject, 'user-1');
    });

    test('a configured issuer that is the discovered one only as a URL is refused, naming both', async () => {
      // openid-client alone accepts each of these (it compares parsed URLs); the provider says `issuer`.
      const port = new URL(provider.issuer).port;
      const spellings = [`${provider.issuer}/`, `HTTP://127.0.0.1:${port}`];
      for (const issuer of spellings) {
        const strict = new OidcRelyingParty({
          id: 'fake',
          issuer,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          redirectUri: REDIRECT,
          store: new MemoryFederationStateStore(),
        });
        const error = await strict.startSignIn().then(
          () => assert.fail(`accepted ${issuer}`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof FederationError, String(error));
        assert.equal(error.reason, 'provider_unavailable');
        assert.ok(error.message.includes(JSON.stringify(provider.issuer)), error.message);
        assert.ok(error.message.includes(JSON.stringify(issuer)), error.message);
      }
    });

    test('the identity carries the configured issuer, the one back-channel logout is checked against', async () => {
      const { callback, handle } = await attempt();
      assert.equal((await rp.completeSignIn(callback.search, handle)).identity.issuer, rp.issuer);
    });

    test('an issuer that is not https (nor loopback http) is refused', () => {
      assert.throws(
        () =>
          new OidcRelyingParty({
            id: 'x',
            issuer: 'http://idp.example.com',
            clientId: 'c',
            redirectUri: REDIRECT,
            store: new MemoryFederationStateStore(),
          }),
        /https/,
      );
    });
  });

  test('no provider token or secret appears in an error message', async () => {
    provider.userinfo = () => ({ sub: 'someone-else' });
    const { callback, handle } = await attempt();
    const error = await rp.completeSignIn(callback.search, handle).catch((e: unknown) => e as Error);
    assert.ok(error instanceof FederationError);
    assert.doesNotMatch(error.message, /eyJ|fake-client-secret/);
    assert.ok(!error.message.includes(callback.searchParams.get('code') ?? '-'));
  });
});
