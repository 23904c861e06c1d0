// POST /oauth/token over HTTP: client credentials (HTTP Basic), token exchange (RFC 8693) and every error
// shape of the endpoint.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_ACTOR_DEPTH } from 'cloakroom/tokens/issuer';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { addClient, assertOAuthError, basic, bearer, inspect, mint, oauthPost, signedIn } from './support.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
/** A service users get tokens for; it serves this audience and exchanges its users' tokens for the site API. */
const REPORTS = 'https://reports.example';

describe('POST /oauth/token', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      env: {
        CLOAKROOM_TOKEN_AUDIENCES: REPORTS,
        CLOAKROOM_TOKEN_SCOPES: 'reports:read notes:read notes:write',
      },
    });
  });
  after(async () => {
    await app.stop();
  });

  describe('client_credentials', () => {
    test('a registered client gets a token for itself: sub and client_id are the client, no refresh token', async () => {
      const service = await addClient(app, ['reports:read', 'reports:write'], ['https://reports.example']);
      const response = await oauthPost(
        app,
        '/oauth/token',
        { grant_type: 'client_credentials', scope: 'reports:read' },
        { basic: service },
      );
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Object.keys(response.body).sort(), [
        'access_token',
        'expires_in',
        'scope',
        'token_type',
      ]);
      assert.equal(response.body.scope, 'reports:read');
      const { claims, header } = inspect(response.body.access_token as string);
      assert.equal(header.typ, 'at+jwt');
      assert.equal(claims.sub, service.id);
      assert.equal(claims.client_id, service.id);
      assert.equal(claims.aud, 'https://reports.example');
      assert.equal(claims.sid, undefined);
    });

    test('without scope: every scope of the client; audience by name when it has several', async () => {
      const service = await addClient(app, ['a:read', 'b:read'], ['https://a.example', 'https://b.example']);
      assertOAuthError(
        await oauthPost(app, '/oauth/token', { grant_type: 'client_credentials' }, { basic: service }),
        400,
        'invalid_target',
      );
      const response = await oauthPost(
        app,
        '/oauth/token',
        { grant_type: 'client_credentials', audience: 'https://b.example' },
        { basic: service },
      );
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.scope, 'a:read b:read');
      assert.equal(inspect(response.body.access_token as string).claims.aud, 'https://b.example');
      const resource = await oauthPost(
        app,
        '/oauth/token',
        { grant_type: 'client_credentials', resource: 'https://a.example' },
        { basic: service },
      );
      assert.equal(inspect(resource.body.access_token as string).claims.aud, 'https://a.example');
    });

    test('a scope or audience beyond the client is refused', async () => {
      const service = await addClient(app, ['a:read'], ['https://a.example']);
      const ask = (form: Record<string, string>) =>
        oauthPost(app, '/oauth/token', { grant_type: 'client_credentials', ...form }, { basic: service });
      assertOAuthError(await ask({ scope: 'a:read a:write' }), 400, 'invalid_scope');
      assertOAuthError(await ask({ scope: 'bad"scope' }), 400, 'invalid_scope');
      assertOAuthError(await ask({ audience: 'https://b.example' }), 400, 'invalid_target');
      assertOAuthError(
        await ask({ audience: 'https://a.example', resource: 'https://b.example' }),
        400,
        'invalid_target',
      );
    });

    test('bad HTTP Basic client authentication: 401 invalid_client with WWW-Authenticate: Basic, one answer', async () => {
      const service = await addClient(app, ['a:read'], ['https://a.example']);
      const attempts: Record<string, string>[] = [
        { authorization: basic(service.id, `${service.secret}x`) },
        { authorization: basic(service.id, '') },
        { authorization: basic('no-such-client', service.secret) },
        { authorization: basic('bad id with spaces', service.secret) },
        { authorization: 'Basic !!!notbase64' },
        { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
        { authorization: `Basic ${Buffer.from(`${service.id}:%E0%A4%A`).toString('base64')}` },
      ];
      const bodies = new Set<string>();
      for (const headers of attempts) {
        const response = await oauthPost(
          app,
          '/oauth/token',
          { grant_type: 'client_credentials' },
          { headers },
        );
        assertOAuthError(response, 401, 'invalid_client');
        assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm="cloakroom"/);
        bodies.add(response.text);
      }
      assert.equal(bodies.size, 1);
      // No credentials at all: the client is not authenticated either.
      assertOAuthError(
        await oauthPost(app, '/oauth/token', { grant_type: 'client_credentials' }),
        401,
        'invalid_client',
      );
    });

    test('a removed client stops working at once', async () => {
      const service = await addClient(app, ['a:read'], ['https://a.example']);
      assert.equal(await app.services.tokens.issuer.clients.remove(service.id), true);
      assertOAuthError(
        await oauthPost(app, '/oauth/token', { grant_type: 'client_credentials' }, { basic: service }),
        401,
        'invalid_client',
      );
    });
  });

  describe('token exchange (RFC 8693)', () => {
    const exchange = (
      service: { id: string; secret: string },
      subjectToken: string,
      form: Record<string, string> = {},
    ) =>
      oauthPost(
        app,
        '/oauth/token',
        { grant_type: EXCHANGE, subject_token: subjectToken, subject_token_type: ACCESS, ...form },
        { basic: service },
      );
    /** A user's token for the reports service, carrying what it may hand on. */
    const forReports = (client: Parameters<typeof mint>[0], scope = 'reports:read notes:read notes:write') =>
      mint(client, { audience: REPORTS, scope });
    /** A service client that serves the reports audience and may get tokens for the site API (and more). */
    const reportsService = (scopes: string[], audiences = [`${app.origin}/api`]) =>
      addClient(app, scopes, audiences, [REPORTS]);

    test('a service narrows a user token for the site API: same user and session, act names the service', async () => {
      const { client, user } = await signedIn(app);
      const userToken = await forReports(client, 'reports:read');
      const service = await reportsService(['notes:read']);
      // The user token says reports:read; the service may only hand on notes:read: nothing in common.
      assertOAuthError(await exchange(service, userToken.access_token), 400, 'invalid_scope');

      const apiToken = await forReports(client);
      const response = await exchange(service, apiToken.access_token, { scope: 'notes:read' });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(Object.keys(response.body).sort(), [
        'access_token',
        'expires_in',
        'issued_token_type',
        'scope',
        'token_type',
      ]);
      assert.equal(response.body.issued_token_type, ACCESS);
      assert.equal(response.body.token_type, 'Bearer');
      const { claims } = inspect(response.body.access_token as string);
      const subject = inspect(apiToken.access_token).claims;
      assert.equal(claims.sub, user.id);
      assert.equal(claims.sid, subject.sid);
      assert.equal(claims.client_id, service.id);
      assert.deepEqual(claims.act, { sub: service.id });
      assert.equal(claims.scope, 'notes:read');
      assert.ok((claims.exp as number) <= (subject.exp as number), 'never past the subject token');
      // It works on the site's API, for reading only.
      const exchanged = response.body.access_token as string;
      assert.equal((await bearer(app, 'GET', '/api/notes', exchanged)).status, 200);
      assert.equal(
        (await bearer(app, 'POST', '/api/notes', exchanged, { title: 't', body: 'b' })).status,
        403,
      );
    });

    test('a client exchanges only tokens given to it: aud must name an audience it serves', async () => {
      const { client } = await signedIn(app);
      const service = await reportsService(['notes:read']);
      // A token for the site API, or for another service, was never given to this client: whoever holds
      // it (intercepted, logged, shown by the user) must not turn it into a token of the client's own.
      const forSite = await mint(client, { scope: 'notes:read' });
      const elsewhere = await addClient(
        app,
        ['notes:read'],
        [`${app.origin}/api`],
        ['https://other.example'],
      );
      const answers = new Set<string>();
      for (const [caller, token] of [
        [service, forSite.access_token],
        [elsewhere, (await forReports(client)).access_token],
      ] as const) {
        const response = await exchange(caller, token);
        assertOAuthError(response, 400, 'invalid_grant');
        answers.add(response.text);
      }
      assert.equal(answers.size, 1, 'one answer whatever the reason');
      // A client that serves no audience cannot use token exchange at all.
      const none = await addClient(app, ['notes:read'], [`${app.origin}/api`]);
      assertOAuthError(
        await exchange(none, (await forReports(client)).access_token),
        400,
        'unauthorized_client',
      );
      // The same token, presented by the service it was given to, is exchanged.
      const ok = await exchange(service, (await forReports(client)).access_token);
      assert.equal(ok.status, 200, ok.text);
    });

    test('scope only shrinks: beyond the subject token or beyond the client is invalid_scope', async () => {
      const { client } = await signedIn(app);
      const subject = await forReports(client, 'notes:read');
      const service = await reportsService(['notes:read', 'notes:write']);
      assertOAuthError(
        await exchange(service, subject.access_token, { scope: 'notes:write' }),
        400,
        'invalid_scope',
      );
      const narrow = await reportsService(['notes:write']);
      const full = await forReports(client);
      assertOAuthError(
        await exchange(narrow, full.access_token, { scope: 'notes:read' }),
        400,
        'invalid_scope',
      );
      const defaulted = await exchange(narrow, full.access_token);
      assert.equal(defaulted.body.scope, 'notes:write', 'default: the subject scopes the client may hold');
    });

    test('the audience must be allowed for the calling client', async () => {
      const { client } = await signedIn(app);
      const subject = await forReports(client);
      const service = await reportsService(['notes:read'], ['https://a.example', `${app.origin}/api`]);
      assertOAuthError(
        await exchange(service, subject.access_token, { audience: 'https://elsewhere.example' }),
        400,
        'invalid_target',
      );
      assertOAuthError(await exchange(service, subject.access_token), 400, 'invalid_target');
      const ok = await exchange(service, subject.access_token, { audience: 'https://a.example' });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(inspect(ok.body.access_token as string).claims.aud, 'https://a.example');
    });

    test('lifetime never exceeds the subject token', async () => {
      const { client } = await signedIn(app);
      const subject = await forReports(client);
      const service = await reportsService(['notes:read']);
      const response = await exchange(service, subject.access_token);
      const claims = inspect(response.body.access_token as string).claims;
      assert.ok((claims.exp as number) <= (inspect(subject.access_token).claims.exp as number));
      assert.ok((response.body.expires_in as number) <= 300);
    });

    test(`re-exchange nests act (the earlier actor inside), up to ${MAX_ACTOR_DEPTH} actors`, async () => {
      const { client } = await signedIn(app);
      let token = (await forReports(client)).access_token;
      // Each exchanged token is for the site API, so each later actor serves that audience.
      const services = [await reportsService(['notes:read'])];
      for (let i = 1; i < MAX_ACTOR_DEPTH + 1; i += 1) {
        services.push(await addClient(app, ['notes:read'], [`${app.origin}/api`], [`${app.origin}/api`]));
      }
      for (let i = 0; i < MAX_ACTOR_DEPTH; i += 1) {
        const response = await exchange(services[i]!, token);
        assert.equal(response.status, 200, response.text);
        token = response.body.access_token as string;
      }
      let act = inspect(token).claims.act as { sub: string; act?: unknown } | undefined;
      for (let i = MAX_ACTOR_DEPTH - 1; i >= 0; i -= 1) {
        assert.equal(act?.sub, services[i]!.id, 'the latest actor outermost');
        act = act?.act as typeof act;
      }
      assert.equal(act, undefined);
      assertOAuthError(await exchange(services[MAX_ACTOR_DEPTH]!, token), 400, 'invalid_request');
    });

    test('an invalid subject token is invalid_grant: forged, foreign, revoked session, garbage', async () => {
      const { client } = await signedIn(app);
      const subject = await forReports(client);
      const service = await reportsService(['notes:read']);
      const [head, payload] = subject.access_token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const tampered = `${head}.${Buffer.from(JSON.stringify({ ...claims, scope: 'notes:read notes:write admin' })).toString('base64url')}.${subject.access_token.split('.')[2]}`;
      const answers = new Set<string>();
      for (const token of [tampered, 'garbage', `${head}.${payload}.`, 'a'.repeat(9000)]) {
        const response = await exchange(service, token);
        assertOAuthError(response, 400, 'invalid_grant');
        answers.add(response.text);
      }
      assert.equal(answers.size, 1);
      await client.post('/api/auth/logout');
      assertOAuthError(await exchange(service, subject.access_token), 400, 'invalid_grant');
    });

    test('unsupported token types, actor tokens and missing parameters are invalid_request', async () => {
      const { client } = await signedIn(app);
      const subject = await forReports(client);
      const service = await reportsService(['notes:read']);
      assertOAuthError(
        await exchange(service, subject.access_token, {
          subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        }),
        400,
        'invalid_request',
      );
      assertOAuthError(
        await exchange(service, subject.access_token, {
          requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        }),
        400,
        'invalid_request',
      );
      assertOAuthError(
        await exchange(service, subject.access_token, { actor_token: 'x', actor_token_type: ACCESS }),
        400,
        'invalid_request',
      );
      assertOAuthError(
        await oauthPost(
          app,
          '/oauth/token',
          { grant_type: EXCHANGE, subject_token_type: ACCESS },
          { basic: service },
        ),
        400,
        'invalid_request',
      );
      // An unauthenticated caller may not exchange at all.
      assertOAuthError(
        await oauthPost(app, '/oauth/token', {
          grant_type: EXCHANGE,
          subject_token: subject.access_token,
          subject_token_type: ACCESS,
        }),
        401,
        'invalid_client',
      );
    });
  });

  describe('error shapes', () => {
    test('unsupported_grant_type, missing grant_type, repeated parameters, wrong content type, secret in the body', async () => {
      assertOAuthError(
        await oauthPost(app, '/oauth/token', { grant_type: 'password' }),
        400,
        'unsupported_grant_type',
      );
      assertOAuthError(
        await oauthPost(app, '/oauth/token', { grant_type: 'authorization_code' }),
        400,
        'unsupported_grant_type',
      );
      assertOAuthError(await oauthPost(app, '/oauth/token', {}), 400, 'invalid_request');
      const repeated = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&grant_type=refresh_token',
      });
      assert.equal(repeated.status, 400);
      assert.equal(((await repeated.json()) as { error: string }).error, 'invalid_request');
      const json = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      assert.equal(json.status, 400);
      assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
      assertOAuthError(
        await oauthPost(app, '/oauth/token', {
          grant_type: 'client_credentials',
          client_id: 'x',
          client_secret: 'y',
        }),
        400,
        'invalid_request',
      );
      assertOAuthError(
        await oauthPost(
          app,
          '/oauth/token',
          { grant_type: 'client_credentials' },
          { headers: { authorization: 'Bearer abc' } },
        ),
        400,
        'invalid_request',
      );
    });

    test('a body over 64 KiB is refused, GET is 405, and no error repeats the input', async () => {
      const big = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=refresh_token&refresh_token=${'x'.repeat(70 * 1024)}`,
      });
      assert.equal(big.status, 413);
      const get = await fetch(`${app.url}/oauth/token`);
      assert.equal(get.status, 405);
      const secretish = 'SECRET-VALUE-123';
      const response = await oauthPost(app, '/oauth/token', { grant_type: secretish, [secretish]: '1' });
      assert.ok(!response.text.includes(secretish));
    });
  });
});
