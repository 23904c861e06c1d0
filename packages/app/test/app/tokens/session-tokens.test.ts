// POST /api/tokens over HTTP: a signed-in browser gets an RFC 9068 access token and a refresh token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError } from '../api/client.js';
import { bearer, inspect, mint, signedIn } from './support.js';

describe('POST /api/tokens', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      env: { CLOAKROOM_TOKEN_AUDIENCES: 'https://reports.example', CLOAKROOM_TOKEN_SCOPES: 'reports:read' },
    });
  });
  after(async () => {
    await app.stop();
  });

  test('201 {access_token, token_type: "Bearer", expires_in, refresh_token, scope}, never cached', async () => {
    const { client, user } = await signedIn(app);
    const response = await client.post('/api/tokens', {});
    assert.equal(response.status, 201, response.text);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
    const body = response.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'refresh_token',
      'scope',
      'token_type',
    ]);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 300);
    assert.equal(body.scope, 'notes:read notes:write');
    assert.match(body.refresh_token as string, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);

    const { header, claims } = inspect(body.access_token as string);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'EdDSA');
    assert.equal(typeof header.kid, 'string');
    assert.equal(claims.iss, app.origin);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.aud, `${app.origin}/api`);
    assert.equal(claims.client_id, 'session');
    assert.equal(claims.scope, 'notes:read notes:write');
    assert.equal(claims.exp, (claims.iat as number) + 300);
    assert.equal(typeof claims.jti, 'string');
    const me = await client.get('/api/me');
    assert.equal(claims.sid, (me.body as { session: { id: string } }).session.id);
    assert.ok((body.access_token as string).length <= 512, `${(body.access_token as string).length} bytes`);
  });

  test('a narrower scope, and a configured audience with its scopes', async () => {
    const { client } = await signedIn(app);
    const narrow = await mint(client, { scope: 'notes:read' });
    assert.equal(narrow.scope, 'notes:read');
    assert.equal(inspect(narrow.access_token).claims.scope, 'notes:read');

    const other = await mint(client, { audience: 'https://reports.example' });
    assert.equal(other.scope, 'reports:read');
    assert.equal(inspect(other.access_token).claims.aud, 'https://reports.example');
  });

  test('400 invalid_request for an audience or scope that is not available, or a malformed body', async () => {
    const { client } = await signedIn(app);
    for (const body of [
      { audience: 'https://evil.example' },
      { scope: 'notes:read admin' },
      { scope: '' },
      { scope: 'notes:read  notes:write' },
      { audience: 'https://reports.example', scope: 'notes:read' },
      { audience: 42 },
      { other: 1 },
    ]) {
      const response = await client.post('/api/tokens', body);
      assertError(response, 400, 'invalid_request');
    }
  });

  test('401 unauthenticated without a session; 403 csrf_rejected from another origin', async () => {
    const anonymous = new ApiClient(app);
    assertError(await anonymous.post('/api/tokens', {}), 401, 'unauthenticated');
    const { client } = await signedIn(app);
    assertError(
      await client.post('/api/tokens', {}, { origin: 'https://evil.example' }),
      403,
      'csrf_rejected',
    );
    assertError(await client.post('/api/tokens', {}, { origin: false }), 403, 'csrf_rejected');
  });

  test('an access token cannot mint tokens (403 insufficient_scope: it needs the browser session)', async () => {
    const { client } = await signedIn(app);
    const { access_token } = await mint(client);
    const response = await bearer(app, 'POST', '/api/tokens', access_token, {});
    assert.equal(response.status, 403);
    assert.equal((response.body as { error: { code: string } }).error.code, 'insufficient_scope');
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope"/);
  });

  test('415 for a non-JSON body', async () => {
    const { client } = await signedIn(app);
    const response = await client.request('POST', '/api/tokens', {
      body: 'scope=notes:read',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertError(response, 415, 'unsupported_media_type');
  });
});
