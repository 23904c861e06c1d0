// The site's HTTP layer over real HTTP: what every answer carries, how unknown and odd requests end, and
// the request line in the log.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import { json } from '../../../src/app/http/reply.js';
import { AppRouter } from '../../../src/app/http/router.js';
import type { SessionManager } from '../../../../cloakroom/src/session/manager.js';
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
