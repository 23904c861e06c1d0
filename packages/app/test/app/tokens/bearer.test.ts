// The site as a resource server: every /api route also takes `Authorization: Bearer`, with scopes, the
// session check, no cookie and no CSRF check; and the classic JWT attacks sent through HTTP, each refused
// with 401 and the same body.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompactSign, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { COOKIE } from '../api/client.js';
import { addClient, bearer, inspect, mint, oauthPost, signedIn } from './support.js';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('bearer tokens on /api', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      env: { CLOAKROOM_TOKEN_AUDIENCES: 'https://reports.example', CLOAKROOM_TOKEN_SCOPES: 'reports:read' },
    });
  });
  after(async () => {
    await app.stop();
  });

  test('profile always, notes:read for reading, notes:write for writing (403 insufficient_scope with the scope)', async () => {
    const { client, user } = await signedIn(app);
    const reader = (await mint(client, { scope: 'notes:read' })).access_token;
    const writer = (await mint(client, { scope: 'notes:write' })).access_token;

    const me = await bearer(app, 'GET', '/api/me', writer);
    assert.equal(me.status, 200, me.text);
    const profile = (me.body as { user: { id: string; email: string } }).user;
    assert.deepEqual({ id: profile.id, email: profile.email }, user);

    const created = await bearer(app, 'POST', '/api/notes', writer, { title: 'From a token', body: 'hello' });
    assert.equal(created.status, 201, created.text);
    const id = (created.body as { note: { id: string } }).note.id;
    assert.equal((await bearer(app, 'GET', `/api/notes/${id}`, reader)).status, 200);
    const listed = await bearer(app, 'GET', '/api/notes', reader);
    assert.equal((listed.body as { notes: unknown[] }).notes.length, 1);

    const denied = await bearer(app, 'GET', '/api/notes', writer);
    assert.equal(denied.status, 403);
    assert.equal(
      denied.headers.get('www-authenticate'),
      'Bearer error="insufficient_scope", scope="notes:read"',
    );
    assert.equal((denied.body as { error: { code: string } }).error.code, 'insufficient_scope');
    for (const [method, path] of [
      ['POST', '/api/notes'],
      ['PATCH', `/api/notes/${id}`],
      ['DELETE', `/api/notes/${id}`],
    ] as const) {
      const response = await bearer(
        app,
        method,
        path,
        reader,
        method === 'DELETE' ? undefined : { title: 'x' },
      );
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.match(response.headers.get('www-authenticate') ?? '', /scope="notes:write"/);
    }
    assert.equal((await bearer(app, 'DELETE', `/api/notes/${id}`, writer)).status, 204);
  });

  test('account endpoints need the browser session: 403 for a token, and nothing happens', async () => {
    const { client } = await signedIn(app);
    const token = (await mint(client)).access_token;
    for (const [method, path] of [
      ['POST', '/api/auth/logout'],
      ['DELETE', '/api/sessions'],
      ['GET', '/api/sessions'],
      ['POST', '/api/auth/password'],
    ] as const) {
      const response = await bearer(app, method, path, token, method === 'POST' ? {} : undefined);
      assert.equal(response.status, 403, `${method} ${path}: ${response.text}`);
      assert.equal((response.body as { error: { code: string } }).error.code, 'insufficient_scope');
    }
    assert.equal((await client.get('/api/me')).status, 200, 'the session is still there');
    const invalid = await bearer(app, 'POST', '/api/auth/logout', 'not-a-token', {});
    assert.equal(invalid.status, 401, 'an invalid token is 401 there too');
    assert.equal(invalid.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  });

  test('no CSRF check (no ambient credential), the cookie is never read, and no cookie is ever set', async () => {
    const { client } = await signedIn(app);
    const token = (await mint(client)).access_token;
    const response = await fetch(`${app.url}/api/notes`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        cookie: `${COOKIE}=not-a-real-session`,
      },
      body: JSON.stringify({ title: 'cross-site', body: 'but with a token' }),
    });
    assert.equal(response.status, 201);
    assert.deepEqual(response.headers.getSetCookie(), []);
    const bad = await fetch(`${app.url}/api/me`, {
      headers: { authorization: 'Bearer nope', cookie: `${COOKIE}=${client.cookie}` },
    });
    assert.equal(bad.status, 401, 'an invalid token is not rescued by a valid cookie');
    assert.deepEqual(bad.headers.getSetCookie(), []);
  });

  test('no cookie is cleared for a bearer request, even on a path that matches nothing or a wrong method', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing-here'],
      ['PUT', '/api/me'],
      ['GET', '/no-such-page'],
    ] as const) {
      const response = await fetch(app.url + path, {
        method,
        headers: { authorization: 'Bearer abc', cookie: `${COOKIE}=garbage.value.here` },
      });
      assert.ok(response.status === 404 || response.status === 405, `${method} ${path}: ${response.status}`);
      assert.deepEqual(response.headers.getSetCookie(), [], `${method} ${path}`);
    }
  });

  test('a token whose session was revoked is refused at once, though it has not expired', async () => {
    const { client } = await signedIn(app);
    const token = (await mint(client)).access_token;
    assert.equal((await bearer(app, 'GET', '/api/me', token)).status, 200);
    await client.post('/api/auth/logout');
    const response = await bearer(app, 'GET', '/api/me', token);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  });

  test('tokens for another audience, or without a user session (client credentials), are refused', async () => {
    const { client } = await signedIn(app);
    const reports = (await mint(client, { audience: 'https://reports.example' })).access_token;
    assert.equal((await bearer(app, 'GET', '/api/me', reports)).status, 401);
    const service = await addClient(app, ['notes:read'], [`${app.origin}/api`]);
    const granted = await oauthPost(
      app,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      { basic: service },
    );
    assert.equal(granted.status, 200);
    assert.equal((await bearer(app, 'GET', '/api/notes', granted.body.access_token as string)).status, 401);
  });

  test('a missing token on a bearer-style request is the cookie path (401 unauthenticated)', async () => {
    const response = await fetch(`${app.url}/api/me`, { headers: { authorization: 'Basic abc' } });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unauthenticated');
  });

  describe('classic JWT attacks through HTTP: 401, WWW-Authenticate invalid_token, one identical body', () => {
    const attacks: [string, () => Promise<string>][] = [];
    let valid: string;
    let claims: Record<string, unknown>;

    before(async () => {
      const { client } = await signedIn(app);
      valid = (await mint(client)).access_token;
      claims = inspect(valid).claims;
    });

    const keyring = () => app.services.tokens.keyring;
    /** Signs arbitrary header and payload bytes with the site's own current key. */
    const ownSign = async (header: Record<string, unknown>, payload: string | Record<string, unknown>) => {
      const { key, alg, kid } = keyring().signingKey();
      return new CompactSign(Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)))
        .setProtectedHeader({ alg, kid, typ: 'at+jwt', ...header })
        .sign(key);
    };
    const attacker = async () => {
      const pair = await generateKeyPair('EdDSA', { extractable: true });
      return { ...pair, jwk: await exportJWK(pair.publicKey) };
    };
    const noneToken = (alg: string) => `${b64({ alg, typ: 'at+jwt' })}.${b64(claims)}.`;
    const now = () => Math.floor(Date.now() / 1000);

    for (const alg of ['none', 'None', 'NONE', 'nOnE'])
      attacks.push([`alg ${alg}`, () => Promise.resolve(noneToken(alg))]);
    attacks.push([
      'HS256 signed with the public key',
      async () => {
        const jwk = keyring().publicJwks().keys[0]!;
        const secret = Buffer.from(jwk.x as string, 'base64url');
        return new CompactSign(Buffer.from(JSON.stringify(claims)))
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid })
          .sign(secret);
      },
    ]);
    attacks.push([
      'HS256 signed with the JWKS text',
      async () =>
        new CompactSign(Buffer.from(JSON.stringify(claims)))
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
          .sign(Buffer.from(JSON.stringify(keyring().publicJwks()))),
    ]);
    attacks.push([
      'embedded jwk',
      async () => {
        const evil = await attacker();
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', jwk: evil.jwk })
          .sign(evil.privateKey);
      },
    ]);
    for (const member of ['jku', 'x5u']) {
      attacks.push([
        member,
        async () => {
          const evil = await attacker();
          return new SignJWT(claims)
            .setProtectedHeader({
              alg: 'EdDSA',
              typ: 'at+jwt',
              kid: 'evil',
              [member]: 'https://evil.example/jwks.json',
            })
            .sign(evil.privateKey);
        },
      ]);
    }
    for (const kid of ['../../../../etc/passwd', "' OR '1'='1", 'x'.repeat(300), '']) {
      attacks.push([
        `kid injection ${JSON.stringify(kid.slice(0, 20))}`,
        async () => {
          const evil = await attacker();
          return new SignJWT(claims)
            .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
            .sign(evil.privateKey);
        },
      ]);
    }
    attacks.push([
      'a key that is not ours, with our kid',
      async () => {
        const evil = await attacker();
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: keyring().signingKey().kid })
          .sign(evil.privateKey);
      },
    ]);
    attacks.push(['stripped signature', () => Promise.resolve(valid.split('.').slice(0, 2).join('.') + '.')]);
    attacks.push(['two segments', () => Promise.resolve(valid.split('.').slice(0, 2).join('.'))]);
    attacks.push([
      'malformed signature',
      () => {
        const [h, p, s] = valid.split('.') as [string, string, string];
        return Promise.resolve(`${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`);
      },
    ]);
    attacks.push([
      'signature not base64url',
      () => Promise.resolve(`${valid.slice(0, valid.lastIndexOf('.'))}.@@@@`),
    ]);
    attacks.push([
      'payload changed after signing',
      () => {
        const [h, , s] = valid.split('.') as [string, string, string];
        return Promise.resolve(`${h}.${b64({ ...claims, scope: 'notes:read notes:write admin' })}.${s}`);
      },
    ]);
    const sign =
      (overrides: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      () =>
        ownSign(header, { ...claims, ...overrides });
    const without = (name: string) => () => {
      const copy = { ...claims };
      delete copy[name];
      return ownSign({}, copy);
    };
    attacks.push(['wrong aud', sign({ aud: 'https://other.example/api' })]);
    attacks.push(['aud of a configured other service', sign({ aud: 'https://reports.example' })]);
    attacks.push(['wrong iss', sign({ iss: 'https://evil.example' })]);
    attacks.push(['typ JWT', sign({}, { typ: 'JWT' })]);
    attacks.push([
      'no typ',
      () =>
        new CompactSign(Buffer.from(JSON.stringify(claims)))
          .setProtectedHeader({ alg: 'EdDSA', kid: keyring().signingKey().kid })
          .sign(keyring().signingKey().key),
    ]);
    for (const name of ['aud', 'iss', 'sub', 'exp', 'iat', 'jti', 'client_id'])
      attacks.push([`no ${name}`, without(name)]);
    attacks.push(['expired', sign({ iat: now() - 4000, exp: now() - 3700 })]);
    attacks.push(['expired a little past the tolerance', sign({ iat: now() - 400, exp: now() - 100 })]);
    attacks.push(['not yet valid (nbf)', sign({ nbf: now() + 600 })]);
    attacks.push(['issued in the future', sign({ iat: now() + 600, exp: now() + 900 })]);
    attacks.push(['exp as a string', sign({ exp: String(now() + 300) })]);
    attacks.push(['iat as a string', sign({ iat: String(now()) })]);
    attacks.push(['exp absurdly far in the future', sign({ exp: now() + 100 * 365 * 24 * 3600 })]);
    attacks.push(['exp = 1e300', sign({ exp: 1e300 })]);
    attacks.push([
      'issued over an hour ago (maximum token age)',
      sign({ iat: now() - 3650, exp: now() + 10 }),
    ]);
    attacks.push(['sub not a string', sign({ sub: 42 })]);
    attacks.push(['scope not a string', sign({ scope: ['notes:read'] })]);
    attacks.push(['sid of a session that does not exist', sign({ sid: 'AAAAAAAAAAAAAAAA' })]);
    attacks.push(['sid of another user', sign({ sub: '00000000-0000-4000-8000-000000000000' })]);
    attacks.push([
      'duplicate claim names (a second sub)',
      () => {
        const text = JSON.stringify(claims).replace(/^\{/, `{"sub":"someone-else",`);
        return ownSign({}, text);
      },
    ]);
    attacks.push([
      'duplicate header member (a second alg)',
      async () => {
        const token = await ownSign({}, claims);
        const [, p, s] = token.split('.') as [string, string, string];
        const { kid } = keyring().signingKey();
        return `${b64(`{"alg":"EdDSA","alg":"none","kid":"${kid}","typ":"at+jwt"}`)}.${p}.${s}`;
      },
    ]);
    attacks.push(['oversized (over 8 KiB)', sign({ padding: 'x'.repeat(9000) })]);
    attacks.push(['not JSON inside', () => ownSign({}, 'not json')]);
    attacks.push(['a JWE-looking five segments', () => Promise.resolve('a.b.c.d.e')]);
    attacks.push(['empty', () => Promise.resolve('')]);

    test(`${attacks.length} attacks, one answer`, async () => {
      const bodies = new Set<string>();
      for (const [name, build] of attacks) {
        const token = await build();
        const response = await fetch(`${app.url}/api/notes`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const text = await response.text();
        assert.equal(response.status, 401, `${name}: ${response.status} ${text}`);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"', name);
        assert.deepEqual(response.headers.getSetCookie(), [], name);
        assert.ok(
          !text.includes(token.slice(0, 40)) || token.length < 10,
          `${name}: the token is not echoed`,
        );
        bodies.add(text);
      }
      assert.deepEqual(
        [...bodies],
        [
          JSON.stringify({
            error: { code: 'invalid_token', message: 'The access token is invalid or expired.' },
          }),
        ],
      );
      // And the genuine token still works (the attacks above are refused for what they are).
      assert.equal((await bearer(app, 'GET', '/api/notes', valid)).status, 200);
    });
  });
});
