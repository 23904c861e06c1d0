// OIDC Back-Channel Logout 1.0 logout tokens: a valid one names its sub and/or sid once; each malformed or
// mis-signed one is refused with invalid_logout_token, and a refused token does not use up its jti.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { MemoryFederationStateStore, OidcRelyingParty } from '../../src/federation/index.js';
import { FakeOidcProvider, type Signer } from '../helpers/fake-oidc-provider.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

describe('federation: back-channel logout tokens', () => {
  let provider: FakeOidcProvider;
  let rp: OidcRelyingParty;

  before(async () => {
    provider = await FakeOidcProvider.start();
    rp = new OidcRelyingParty({
      id: 'fake',
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      redirectUri: 'http://127.0.0.1:9/auth/oidc/fake/callback',
      store: new MemoryFederationStateStore(),
    });
  });
  after(() => provider.close());

  function claims(extra: JWTPayload = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: provider.issuer,
      aud: provider.clientId,
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      sub: 'user-1',
      sid: 'provider-session-1',
      events: { [EVENT]: {} },
      ...extra,
    };
  }

  const token = (
    body: JWTPayload,
    header: Partial<JWTHeaderParameters> = { typ: 'logout+jwt' },
    signer: Signer = 'RS256',
  ) => provider.sign(body, header, signer);

  const without = (body: JWTPayload, name: string): JWTPayload =>
    Object.fromEntries(Object.entries(body).filter(([key]) => key !== name));

  test('a valid token names its sub and sid', async () => {
    assert.deepEqual(await rp.verifyLogoutToken(await token(claims())), {
      sub: 'user-1',
      sid: 'provider-session-1',
    });
    assert.deepEqual(await rp.verifyLogoutToken(await token(without(claims(), 'sid'))), {
      sub: 'user-1',
      sid: null,
    });
    assert.deepEqual(await rp.verifyLogoutToken(await token(without(claims(), 'sub'))), {
      sub: null,
      sid: 'provider-session-1',
    });
  });

  test('the same token twice: the second is refused (jti replay)', async () => {
    const once = await token(claims());
    await rp.verifyLogoutToken(once);
    await assert.rejects(rp.verifyLogoutToken(once), { reason: 'invalid_logout_token' });
  });

  test('a refused token does not use up its jti', async () => {
    const body = claims();
    await assert.rejects(rp.verifyLogoutToken(await token(body, { typ: 'JWT' })));
    await rp.verifyLogoutToken(await token(body));
  });

  const cases: [string, () => Promise<unknown>][] = [
    ['not a string', () => Promise.resolve(42)],
    ['empty', () => Promise.resolve('')],
    ['not a JWT', () => Promise.resolve('not-a-jwt')],
    ['three garbage segments', () => Promise.resolve('a.b.c')],
    ['oversized', () => Promise.resolve('a'.repeat(20_000))],
    ['alg none', () => token(claims(), {}, 'none')],
    ['signed by a foreign RSA key', () => token(claims(), { typ: 'logout+jwt' }, 'RS256-foreign')],
    ['signed by a foreign EC key', () => token(claims(), { typ: 'logout+jwt' }, 'ES256-foreign')],
    ['HS256 with the client secret', () => token(claims(), { typ: 'logout+jwt' }, 'HS256-client-secret')],
    ['wrong typ', () => token(claims(), { typ: 'JWT' })],
    ['no typ', () => token(claims(), {})],
    ['wrong iss', () => token(claims({ iss: 'https://attacker.example' }))],
    ['wrong aud', () => token(claims({ aud: 'another-client' }))],
    ['no aud', () => token(without(claims(), 'aud'))],
    ['no iat', () => token(without(claims(), 'iat'))],
    ['iat too old', () => token(claims({ iat: Math.floor(Date.now() / 1000) - 3600 }))],
    ['expired', () => token(claims({ exp: Math.floor(Date.now() / 1000) - 600 }))],
    ['no jti', () => token(without(claims(), 'jti'))],
    ['no events', () => token(without(claims(), 'events'))],
    ['events without the logout event', () => token(claims({ events: { 'urn:other': {} } }))],
    ['the logout event not an object', () => token(claims({ events: { [EVENT]: 'yes' } }))],
    ['a nonce', () => token(claims({ nonce: 'n' }))],
    ['neither sub nor sid', () => token(without(without(claims(), 'sub'), 'sid'))],
    ['a sub that is not a string', () => token(claims({ sub: 42 as unknown as string }))],
  ];
  for (const [name, make] of cases) {
    test(`refused: ${name}`, async () => {
      await assert.rejects(rp.verifyLogoutToken(await make()), { reason: 'invalid_logout_token' });
    });
  }
});
