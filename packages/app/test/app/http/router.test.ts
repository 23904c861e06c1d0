// The site's HTTP layer over real HTTP: what every answer carries, how unknown and odd requests end, and
// the request line in the log.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import { describeError } from '../../../src/app/http/errors.js';
import { json } from '../../../src/app/http/reply.js';
import { AppRouter } from '../../../src/app/http/router.js';
import { BROWSER_SESSION_ONLY, type BearerAuthenticator } from '../../../src/app/http/auth.js';
import type { RequestContext } from '../../../src/app/http/context.js';
import { createSessionManager, type SessionManager } from '../../../../cloakroom/src/session/manager.js';
import { MemoryStore } from '../../../../cloakroom/src/stores/memory.js';
import { InvalidTokenError } from '../../../../cloakroom/src/tokens/errors.js';
import { CountingStore } from '../../../../cloakroom/test/helpers/counting-store.js';
import type { AppUser } from '../../../src/app/http/env.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { captureLog, requestOnce } from '../api/client.js';

/** One raw HTTP/1.1 request on its own connection; resolves to the status line and the lower-cased head. */
function rawRequest(app: TestApp, requestLine: string): Promise<{ status: string; head: string }> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${requestLine}\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const head = text.split('\r\n\r\n', 1)[0] ?? '';
      resolve({ status: head.split('\r\n', 1)[0] ?? '', head: head.toLowerCase() });
    });
  });
}

describe('the HTTP layer', () => {
  let app: TestApp;
  const logged = captureLog();
  before(async () => {
    app = await startTestApp({ log: logged.log });
  });
  after(() => app.stop());

  test('every answer carries a request id and the security headers, once each', async () => {
    for (const path of ['/healthz', '/sign-in', '/api/me', '/no/such/page', '/api/nope']) {
      const response = await fetch(app.url + path);
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(response.headers.get('cache-control'), 'no-store', path);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
    }
  });

  test('a request id is new for every request, and the log line has it without the query string', async () => {
    const first = await fetch(`${app.url}/sign-in?notice=welcome&secret=hunter2`);
    const second = await fetch(`${app.url}/sign-in`);
    const id = first.headers.get('x-request-id')!;
    assert.notEqual(id, second.headers.get('x-request-id'));
    const line = logged
      .text()
      .split('\n')
      .find((entry) => entry.includes(id));
    assert.ok(line, 'a log line for the request');
    const entry = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(
      { method: entry.method, path: entry.path, status: entry.status, msg: entry.msg },
      { method: 'GET', path: '/sign-in', status: 200, msg: 'request' },
    );
    assert.doesNotMatch(logged.text(), /hunter2/);
  });

  test('HEAD on a page answers like GET, without a body', async () => {
    const get = await fetch(`${app.url}/sign-in`);
    const head = await fetch(`${app.url}/sign-in`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), get.headers.get('content-type'));
    assert.equal(head.headers.get('content-length'), get.headers.get('content-length'));
    assert.equal(await head.text(), '');
  });

  test('the health check answers only GET and HEAD', async () => {
    const response = await fetch(`${app.url}/healthz`, { method: 'POST' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
  });

  test('a 413 closes its connection, so the unread body is never taken for a request', async () => {
    const response = await requestOnce(app, 'POST', '/api/notes', {
      body: 'x'.repeat(70 * 1024),
      headers: { 'content-type': 'application/json', origin: app.origin },
    });
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('connection'), 'close');
  });

  test('odd request targets end in a clean 404, never a crash', async () => {
    assert.equal((await rawRequest(app, 'OPTIONS * HTTP/1.1')).status, 'HTTP/1.1 404 Not Found');
    assert.equal((await rawRequest(app, 'GET //api/me HTTP/1.1')).status, 'HTTP/1.1 404 Not Found');
    assert.equal(
      (await rawRequest(app, 'GET /assets/..%2f..%2fetc%2fpasswd HTTP/1.1')).status,
      'HTTP/1.1 404 Not Found',
    );
    const long = await rawRequest(app, `GET /notes/${'a'.repeat(5000)} HTTP/1.1`);
    assert.equal(long.status, 'HTTP/1.1 404 Not Found');
    assert.match(long.head, /content-security-policy/);
    // Absolute-form targets are routed by their path.
    assert.equal(
      (await rawRequest(app, `GET ${app.url}/api/me HTTP/1.1`)).status,
      'HTTP/1.1 401 Unauthorized',
    );
    assert.equal((await fetch(`${app.url}/healthz`)).status, 200, 'still serving');
  });
});

describe('answers are ended together, after the turn of the event loop that produced them', () => {
  /** A response that records what the router does with it. */
  function fakeResponse() {
    const calls: string[] = [];
    const res = {
      statusCode: 200,
      headersSent: false,
      writeHead(status: number) {
        calls.push(`head ${status}`);
        res.statusCode = status;
        res.headersSent = true;
      },
      end(body?: string) {
        calls.push(`end ${body ?? ''}`);
      },
      destroy() {
        calls.push('destroy');
      },
    };
    return { res: res as unknown as ServerResponse, calls };
  }

  test('the head at once, every body in the setImmediate that follows, in order', async () => {
    const router = new AppRouter({
      sessions: {} as SessionManager<AppUser>,
      log: pino({ level: 'silent' }),
      errorPage: () => json({}, 500),
    });
    router.route('/thing/:n', { errors: 'json', auth: 'none' }, { GET: (ctx) => json({ n: ctx.params.n }) });
    const listener = router.listener();
    const request = (url: string) =>
      ({ method: 'GET', url, headers: {}, socket: { remoteAddress: '127.0.0.1' } }) as IncomingMessage;
    const first = fakeResponse();
    const second = fakeResponse();
    listener(request('/thing/1'), first.res);
    listener(request('/thing/2'), second.res);
    // Microtasks only (no turn of the event loop): the handlers run and the heads are written, nothing ends.
    for (let i = 0; i < 100 && (first.calls.length === 0 || second.calls.length === 0); i++) {
      await Promise.resolve();
    }
    assert.deepEqual([first.calls, second.calls], [['head 200'], ['head 200']]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(first.calls, ['head 200', 'end {"n":"1"}']);
    assert.deepEqual(second.calls, ['head 200', 'end {"n":"2"}']);
  });

  test('many concurrent requests on their own connections are each answered once', async () => {
    const app = await startTestApp();
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${app.url}/healthz`, { headers: { connection: 'close' } })),
      );
      assert.deepEqual(
        responses.map((response) => response.status),
        responses.map(() => 200),
      );
      const ids = new Set(responses.map((response) => response.headers.get('x-request-id')));
      assert.equal(ids.size, 20);
      for (const response of responses) assert.deepEqual(await response.json(), { ok: true });
    } finally {
      await app.stop();
    }
  });
});

describe('authentication, declared per route and done once by the router', () => {
  const ORIGIN = 'http://127.0.0.1:3000';
  const USER: AppUser = { id: 'u-1', email: 'ada@example.com' };

  /** A router on a counting store, a signed-in cookie for it, and a fake authenticator that records calls. */
  async function setUp() {
    const store = new CountingStore<AppUser>(new MemoryStore<AppUser>());
    const sessions = createSessionManager<AppUser>({ store, origin: ORIGIN, keys: ['k'.repeat(32)] });
    const issued = await sessions.create(USER.id, { userAgent: null, ip: null });
    const cookie = issued.setCookie.split(';')[0]!;
    const bearerCalls: { authorization: string; scopes: readonly string[] }[] = [];
    let live = true;
    const bearer: BearerAuthenticator = (authorization, scopes) => {
      bearerCalls.push({ authorization, scopes });
      if (authorization !== 'Bearer good' || !live) {
        return Promise.reject(new InvalidTokenError('claim_invalid', 'not a good token'));
      }
      return Promise.resolve({ session: issued.session, user: USER });
    };
    const router = new AppRouter({
      sessions,
      log: pino({ level: 'silent' }),
      // A stand-in for the HTML error page, with the status and code it would have.
      errorPage: (_ctx, error) => {
        const { status, code } = describeError(error);
        return json({ page: code }, status);
      },
      bearer,
    });
    const handled: RequestContext[] = [];
    const who = (ctx: RequestContext) => {
      handled.push(ctx);
      return json({ user: ctx.session.user?.id ?? null, session: ctx.session.session?.id ?? null });
    };
    const listener = router.listener();
    /** One request through the listener; resolves once its body is ended. */
    const send = (method: string, url: string, given: Record<string, string | undefined> = {}) =>
      new Promise<{ status: number; headers: Map<string, string[]>; body: string }>((resolve) => {
        const seen = new Map<string, string[]>();
        const res = {
          statusCode: 200,
          headersSent: false,
          writeHead(status: number, list: string[]) {
            res.statusCode = status;
            res.headersSent = true;
            for (let i = 0; i < list.length; i += 2) {
              seen.set(list[i]!, [...(seen.get(list[i]!) ?? []), list[i + 1]!]);
            }
          },
          end(body?: string | Buffer) {
            resolve({ status: res.statusCode, headers: seen, body: body === undefined ? '' : String(body) });
          },
          destroy() {},
        };
        const headers = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
        const req = { method, url, headers, socket: { remoteAddress: '127.0.0.1' } };
        listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      });
    return {
      store,
      router,
      cookie,
      sessionId: issued.session.id,
      bearerCalls,
      handled,
      who,
      send,
      endSession: () => (live = false),
    };
  }

  test("a route declared auth: 'none' never touches the session store nor any cookie", async () => {
    const t = await setUp();
    let sessionError: unknown;
    t.router.route(
      '/open',
      { errors: 'json', auth: 'none' },
      {
        GET: (ctx) => {
          try {
            void ctx.session;
          } catch (error) {
            sessionError = error;
          }
          return json({ ok: true });
        },
      },
    );
    for (const headers of [
      { cookie: t.cookie },
      { cookie: `${t.cookie.split('=')[0]!}=garbage.value.here` },
      { cookie: t.cookie, authorization: 'Bearer good' },
    ]) {
      const response = await t.send('GET', '/open', headers);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('set-cookie'), undefined);
    }
    assert.equal(t.store.gets, 0, 'no store read');
    assert.deepEqual(t.bearerCalls, [], 'no token verified');
    assert.ok(sessionError instanceof TypeError, 'the handler has no session');
  });

  test("'cookie' loads the session once, with the CSRF checks, and never looks at a bearer token", async () => {
    const t = await setUp();
    t.router.route('/page', { errors: 'page', auth: 'cookie' }, { GET: t.who, POST: t.who });
    const read = await t.send('GET', '/page', { cookie: t.cookie, authorization: 'Bearer good' });
    assert.equal(read.status, 200);
    assert.deepEqual(JSON.parse(read.body), { user: USER.id, session: t.sessionId });
    assert.equal(t.store.gets, 1);
    assert.deepEqual(t.bearerCalls, []);
    const crossSite = await t.send('POST', '/page', {
      cookie: t.cookie,
      origin: 'https://evil.example',
      authorization: 'Bearer good',
    });
    assert.equal(crossSite.status, 403);
    assert.deepEqual(JSON.parse(crossSite.body), { page: 'csrf_rejected' });
    assert.equal(t.handled.length, 1, 'the handler did not run for the refused request');
  });

  test('cookieOrBearer: a bearer token is verified with the method’s scopes (HEAD has GET’s) and no cookie is read', async () => {
    const t = await setUp();
    t.router.route(
      '/api/notes',
      {
        errors: 'json',
        auth: { cookieOrBearer: { scopes: { GET: ['notes:read'], POST: ['notes:write'] } } },
      },
      { GET: t.who, POST: t.who },
    );
    const bad = `${t.cookie.split('=')[0]!}=garbage.value.here`;
    for (const [method, scopes] of [
      ['GET', ['notes:read']],
      ['HEAD', ['notes:read']],
      ['POST', ['notes:write']],
    ] as const) {
      t.bearerCalls.length = 0;
      const response = await t.send(method, '/api/notes', {
        authorization: 'Bearer good',
        cookie: bad,
        origin: 'https://evil.example',
      });
      assert.equal(response.status, 200, method);
      assert.deepEqual(t.bearerCalls, [{ authorization: 'Bearer good', scopes }], method);
      assert.equal(response.headers.get('set-cookie'), undefined, `${method}: the bad cookie is not cleared`);
    }
    assert.equal(t.store.gets, 0, 'the cookie session was never loaded');
    // Without a bearer token (another scheme counts as none), the cookie session.
    const cookie = await t.send('GET', '/api/notes', { cookie: t.cookie, authorization: 'Basic abc' });
    assert.deepEqual(JSON.parse(cookie.body), { user: USER.id, session: t.sessionId });
    assert.equal(t.store.gets, 1);
    t.bearerCalls.length = 0;
    const invalid = await t.send('GET', '/api/notes', { authorization: 'Bearer nope', cookie: t.cookie });
    assert.equal(invalid.status, 401, 'an invalid token is not rescued by a valid cookie');
    assert.deepEqual(invalid.headers.get('www-authenticate'), ['Bearer error="invalid_token"']);
    assert.equal(t.store.gets, 1);
  });

  test('bearer on a route that takes the browser session only: 401 when invalid, 403 when valid, and the handler never runs', async () => {
    const t = await setUp();
    t.router.route('/api/auth/logout', { errors: 'json', auth: BROWSER_SESSION_ONLY }, { POST: t.who });
    const valid = await t.send('POST', '/api/auth/logout', { authorization: 'Bearer good' });
    assert.equal(valid.status, 403);
    assert.deepEqual(valid.headers.get('www-authenticate'), ['Bearer error="insufficient_scope"']);
    assert.deepEqual(JSON.parse(valid.body), {
      error: {
        code: 'insufficient_scope',
        message: 'This endpoint needs a signed-in browser session, not an access token.',
      },
    });
    assert.deepEqual(t.bearerCalls, [{ authorization: 'Bearer good', scopes: [] }], 'verified all the same');
    t.endSession();
    const ended = await t.send('POST', '/api/auth/logout', { authorization: 'Bearer good' });
    assert.equal(ended.status, 401);
    assert.deepEqual(JSON.parse(ended.body), {
      error: { code: 'invalid_token', message: 'The access token is invalid or expired.' },
    });
    assert.equal(t.handled.length, 0);
    assert.equal(t.store.gets, 0);
  });

  test('unmatched paths and methods a route does not list read no credential (404 and 405 for everyone)', async () => {
    const t = await setUp();
    t.router.route(
      '/api/me',
      { errors: 'json', auth: { cookieOrBearer: { scopes: { GET: [] } } } },
      { GET: t.who },
    );
    t.router.route('/notes', { errors: 'page', auth: 'cookie' }, { GET: t.who });
    const bad = `${t.cookie.split('=')[0]!}=garbage.value.here`;
    for (const [method, path, status] of [
      ['GET', '/api/nothing-here', 404],
      ['POST', '/no-such-page', 404],
      ['PUT', '/api/me', 405],
      ['DELETE', '/notes', 404], // a method a page route does not list: the 404 page
    ] as const) {
      for (const headers of [{ cookie: t.cookie }, { cookie: bad, authorization: 'Bearer good' }]) {
        const response = await t.send(method, path, { ...headers, origin: 'https://evil.example' });
        assert.equal(response.status, status, `${method} ${path}`);
        assert.equal(response.headers.get('set-cookie'), undefined, `${method} ${path}`);
      }
    }
    assert.equal(t.store.gets, 0);
    assert.deepEqual(t.bearerCalls, []);
  });

  test('a declared oversize body is 413 before any authentication', async () => {
    const t = await setUp();
    t.router.route(
      '/api/notes',
      { errors: 'json', auth: { cookieOrBearer: { scopes: {} } } },
      { POST: t.who },
    );
    for (const headers of [{ cookie: t.cookie }, { authorization: 'Bearer good' }]) {
      const response = await t.send('POST', '/api/notes', {
        ...headers,
        'content-length': String(65 * 1024),
      });
      assert.equal(response.status, 413);
    }
    assert.equal(t.store.gets, 0);
    assert.deepEqual(t.bearerCalls, []);
  });

  test('a bearer route needs an authenticator, and scopes only for the methods it has', () => {
    const router = new AppRouter({
      sessions: {} as SessionManager<AppUser>,
      log: pino({ level: 'silent' }),
      errorPage: () => json({}, 500),
    });
    assert.throws(
      () => router.route('/api/x', { errors: 'json', auth: BROWSER_SESSION_ONLY }, { GET: () => json({}) }),
      TypeError,
    );
    const typed = new AppRouter({
      sessions: {} as SessionManager<AppUser>,
      log: pino({ level: 'silent' }),
      errorPage: () => json({}, 500),
      bearer: () => Promise.reject(new Error('unused')),
    });
    typed.route(
      '/api/y',
      // @ts-expect-error -- PATCH has no handler, so it cannot take scopes.
      { errors: 'json', auth: { cookieOrBearer: { scopes: { GET: [], PATCH: ['x'] } } } },
      { GET: () => json({}) },
    );
    // @ts-expect-error -- a page answers errors with HTML, so it cannot take bearer tokens (RFC 6750 JSON).
    typed.route('/z', { errors: 'page', auth: BROWSER_SESSION_ONLY }, { GET: () => json({}) });
  });
});
