// JWKS and RFC 8414 metadata over HTTP, key rotation seen from outside, and the lifetime settings.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, configFromEnv } from '../../../src/app/config.js';
import { ManualClock } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { addClient, bearer, inspect, mint, oauthPost, signedIn } from './support.js';

interface Jwks {
  keys: Record<string, unknown>[];
}

describe('discovery', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.stop();
  });

  const jwks = async () => {
    const response = await fetch(`${app.url}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('cache-control') ?? '', /^public, max-age=\d+$/);
    assert.deepEqual(response.headers.getSetCookie(), []);
    return (await response.json()) as Jwks;
  };

  test('GET /.well-known/jwks.json: the current and the next key, public members only', async () => {
    const { keys } = await jwks();
    assert.equal(keys.length, 2);
    for (const key of keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      assert.equal(key.alg, 'EdDSA');
      assert.equal(key.use, 'sig');
    }
    const { client } = await signedIn(app);
    const { access_token } = await mint(client);
    assert.equal(inspect(access_token).header.kid, keys[0]!.kid, 'the current key signs; listed first');
  });

  test('GET /.well-known/oauth-authorization-server (RFC 8414)', async () => {
    const response = await fetch(`${app.url}/.well-known/oauth-authorization-server`);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata.issuer, app.origin);
    assert.equal(metadata.token_endpoint, `${app.origin}/oauth/token`);
    assert.equal(metadata.revocation_endpoint, `${app.origin}/oauth/revoke`);
    assert.equal(metadata.jwks_uri, `${app.origin}/.well-known/jwks.json`);
    assert.deepEqual(metadata.grant_types_supported, [
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'none']);
    assert.deepEqual(metadata.scopes_supported, ['notes:read', 'notes:write']);
  });

  test('rotation: the next key is published before it signs, then signs; the old key stays published', async () => {
    const before = (await jwks()).keys.map((key) => key.kid as string);
    const [current, next] = before as [string, string];
    const { client } = await signedIn(app);
    const old = (await mint(client)).access_token;
    assert.equal(inspect(old).header.kid, current);

    await app.services.tokens.keyring.rotate();
    const after = (await jwks()).keys.map((key) => key.kid as string);
    assert.equal(after.length, 3);
    assert.equal(after[0], next, 'the published next key now signs');
    assert.ok(after.includes(current), 'the retired key is still published');
    const fresh = (await mint(client)).access_token;
    assert.equal(inspect(fresh).header.kid, next);
    // Tokens signed by the retired key still verify.
    assert.equal((await bearer(app, 'GET', '/api/me', old)).status, 200);
    assert.equal((await bearer(app, 'GET', '/api/me', fresh)).status, 200);
  });
});

test('a retired key leaves the JWKS once every token it signed has expired (max lifetime + 60 s)', async () => {
  const clock = new ManualClock(Date.now());
  const app = await startTestApp({ clock });
  try {
    const kids = async () => {
      const response = await fetch(`${app.url}/.well-known/jwks.json`);
      return ((await response.json()) as Jwks).keys.map((key) => key.kid as string);
    };
    const [current] = (await kids()) as [string, string];
    await app.services.tokens.keyring.rotate();
    assert.ok((await kids()).includes(current));
    clock.advance((3600 + 60) * 1000 - 1000);
    assert.ok((await kids()).includes(current), 'still there a second before');
    clock.advance(1000);
    const left = await kids();
    assert.ok(!left.includes(current), 'gone');
    assert.equal(left.length, 2);
  } finally {
    await app.stop();
  }
});

describe('lifetimes', () => {
  test('CLOAKROOM_ACCESS_TOKEN_SECONDS: default 300, at most 3600; bigger values are refused, not capped', () => {
    const env = (value: string) => ({ PORT: '3000', CLOAKROOM_ACCESS_TOKEN_SECONDS: value });
    assert.equal(configFromEnv({ PORT: '3000' }).tokens.accessTokenSeconds, 300);
    assert.equal(configFromEnv(env('3600')).tokens.accessTokenSeconds, 3600);
    for (const value of ['3601', '86400', '0', '-5', '1.5', 'soon']) {
      assert.throws(
        () => configFromEnv(env(value)),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /CLOAKROOM_ACCESS_TOKEN_SECONDS/);
          return true;
        },
      );
    }
    assert.throws(
      () =>
        configFromEnv({ CLOAKROOM_REFRESH_IDLE_SECONDS: '100', CLOAKROOM_REFRESH_ABSOLUTE_SECONDS: '50' }),
      ConfigError,
    );
    assert.throws(() => configFromEnv({ CLOAKROOM_SIGNING_ALG: 'HS256' }), ConfigError);
    assert.throws(() => configFromEnv({ CLOAKROOM_TOKEN_SCOPES: 'a "b"' }), ConfigError);
  });

  test('a shorter configured lifetime, and an exchanged token never outlives its subject token', async () => {
    const clock = new ManualClock(Date.now());
    const reports = 'https://reports.example';
    const app = await startTestApp({
      clock,
      env: {
        CLOAKROOM_ACCESS_TOKEN_SECONDS: '120',
        CLOAKROOM_TOKEN_AUDIENCES: reports,
        CLOAKROOM_TOKEN_SCOPES: 'notes:read',
      },
    });
    try {
      const { client } = await signedIn(app);
      const subject = await mint(client, { audience: reports, scope: 'notes:read' });
      assert.equal(subject.expires_in, 120);
      const service = await addClient(app, ['notes:read'], [`${app.origin}/api`], [reports]);
      clock.advance(100_000);
      const response = await oauthPost(
        app,
        '/oauth/token',
        {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: subject.access_token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        },
        { basic: service },
      );
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.expires_in, 20, 'what the subject token had left');
      assert.equal(
        inspect(response.body.access_token as string).claims.exp,
        inspect(subject.access_token).claims.exp,
      );
      // The exchanged token works on the site's API until the subject token's end, and not after.
      const exchanged = response.body.access_token as string;
      assert.equal((await bearer(app, 'GET', '/api/me', exchanged)).status, 200);
      clock.advance(60_000);
      assert.equal((await bearer(app, 'GET', '/api/me', exchanged)).status, 401);
    } finally {
      await app.stop();
    }
  });
});
