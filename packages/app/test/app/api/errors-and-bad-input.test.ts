// Every error of the contract that is about the request itself: unknown routes (404), wrong methods (405),
// bodies that are not JSON (415), too large (413) or malformed (400), prototype-polluting keys, huge fields.
// Each answer is the documented JSON error, never a 500, never a stack trace.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import {
  ApiClient,
  COOKIE,
  assertError,
  requestOnce,
  assertNoStackTrace,
  captureLog,
  uniqueEmail,
} from './client.js';

const MAX = 64 * 1024;
const PASSWORD = 'correct horse battery';

describe('API errors and bad input', () => {
  let app: TestApp;
  let client: ApiClient;
  let noteId: string;
  let sessionId: string;
  const logged = captureLog();

  before(async () => {
    app = await startTestApp({ log: logged.log });
    client = new ApiClient(app);
    await client.register(uniqueEmail());
    const note = await client.post('/api/notes', { title: 'mine', body: '' });
    noteId = (note.body as { note: { id: string } }).note.id;
    sessionId = ((await client.get('/api/me')).body as { session: { id: string } }).session.id;
  });
  after(async () => {
    await app.stop();
  });

  /** Every route of the contract, with the methods it answers. */
  const routes = () => [
    { path: '/api/auth/register', methods: ['POST'] },
    { path: '/api/auth/login', methods: ['POST'] },
    { path: '/api/auth/logout', methods: ['POST'] },
    { path: '/api/auth/password', methods: ['POST'] },
    { path: '/api/auth/email/verify/request', methods: ['POST'] },
    { path: '/api/auth/email/verify', methods: ['POST'] },
    { path: '/api/auth/email/change', methods: ['POST'] },
    { path: '/api/auth/password/forgot', methods: ['POST'] },
    { path: '/api/auth/password/reset', methods: ['POST'] },
    { path: '/api/me', methods: ['GET', 'DELETE'] },
    { path: '/api/sessions', methods: ['GET', 'DELETE'] },
    { path: `/api/sessions/${sessionId}`, methods: ['DELETE'] },
    { path: '/api/notes', methods: ['GET', 'POST'] },
    { path: `/api/notes/${noteId}`, methods: ['GET', 'PATCH', 'DELETE'] },
  ];

  describe('404 not_found for unknown routes', () => {
    for (const path of [
      '/api/nope',
      '/api',
      '/api/',
      '/api/me/extra',
      '/api/notes/',
      '/api/auth',
      '/api/auth/login/',
      '/api/AUTH/LOGIN',
      '/api/notes/a/b',
      '/api/%E0%A4%A',
      '/api/__proto__',
      '/api/constructor',
    ]) {
      test(`GET ${path}`, async () => {
        assertError(await client.get(path), 404, 'not_found');
      });
    }

    test('unknown routes answer 404 JSON for unsafe methods too', async () => {
      assertError(await client.post('/api/nope', { a: 1 }), 404, 'not_found');
      assertError(await client.delete('/api/auth'), 404, 'not_found');
      assertError(await client.request('PUT', '/api/toString'), 404, 'not_found');
    });

    test('a malformed percent-encoding in an id is just not found', async () => {
      assertError(await client.get('/api/notes/%E0%A4%A'), 404, 'not_found');
      assertError(await client.patch('/api/notes/%ff%fe', { title: 'x' }), 404, 'not_found');
      assertError(await client.delete('/api/notes/%'), 404, 'not_found');
      assertError(await client.delete('/api/sessions/%C0%AF'), 404, 'not_found');
    });
  });

  describe('405 method_not_allowed with an Allow header', () => {
    test('every route refuses the methods it does not list', async () => {
      for (const { path, methods } of routes()) {
        for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
          if (methods.includes(method)) continue;
          const response = await client.request(method, path);
          assertError(response, 405, 'method_not_allowed');
          const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
          assert.equal(response.headers.get('allow'), allowed.join(', '), `${method} ${path}`);
        }
      }
      assert.equal((await client.get('/api/me')).status, 200, 'still signed in');
    });

    test('a method named like an Object.prototype member is refused like any other', async () => {
      // Node accepts only known method names, so the closest a client gets is an unknown-but-valid method.
      const response = await client.request('PROPFIND', '/api/me');
      assertError(response, 405, 'method_not_allowed');
    });
  });

  describe('415 unsupported_media_type for a body that is not JSON', () => {
    const bodyRoutes = () => [
      { method: 'POST', path: '/api/auth/register', json: { email: uniqueEmail(), password: PASSWORD } },
      { method: 'POST', path: '/api/auth/login', json: { email: uniqueEmail(), password: PASSWORD } },
      { method: 'POST', path: '/api/auth/password', json: { currentPassword: PASSWORD, newPassword: 'x' } },
      { method: 'POST', path: '/api/notes', json: { title: 't', body: 'b' } },
      { method: 'POST', path: '/api/auth/email/verify', json: { token: 'A'.repeat(43) } },
      { method: 'POST', path: '/api/auth/password/forgot', json: { email: uniqueEmail() } },
      { method: 'POST', path: '/api/auth/password/reset', json: { token: 'A'.repeat(43), newPassword: 'x' } },
      {
        method: 'POST',
        path: '/api/auth/email/change',
        json: { newEmail: uniqueEmail(), currentPassword: 'x' },
      },
      { method: 'DELETE', path: '/api/me', json: { currentPassword: 'not the password' } },
      { method: 'PATCH', path: `/api/notes/${noteId}`, json: { title: 't' } },
      { method: 'POST', path: '/api/auth/logout', json: {} },
      { method: 'POST', path: '/api/auth/email/verify/request', json: {} },
      { method: 'DELETE', path: '/api/sessions', json: {} },
      { method: 'DELETE', path: `/api/sessions/${sessionId}`, json: {} },
      { method: 'DELETE', path: `/api/notes/${noteId}`, json: {} },
    ];

    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/json',
      'application/jsonx',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/javascript',
      null,
    ]) {
      test(`Content-Type: ${type ?? '(none)'}`, async () => {
        for (const { method, path, json } of bodyRoutes()) {
          const headers: Record<string, string> = type === null ? {} : { 'content-type': type };
          const body = new TextEncoder().encode(JSON.stringify(json)); // bytes: fetch adds no type
          const response = await client.request(method, path, { body, headers });
          assertError(response, 415, 'unsupported_media_type');
        }
        // Nothing was done: still signed in, the note is still there.
        assert.equal((await client.get('/api/me')).status, 200);
        assert.equal((await client.get(`/api/notes/${noteId}`)).status, 200);
      });
    }

    test('application/json with parameters or in other letter cases is JSON', async () => {
      for (const type of [
        'application/json; charset=utf-8',
        'Application/JSON',
        'application/json ;charset=UTF-8',
      ]) {
        const response = await client.request('POST', '/api/notes', {
          body: JSON.stringify({ title: type, body: '' }),
          headers: { 'content-type': type },
        });
        assert.equal(response.status, 201, `${type}: ${response.text}`);
      }
    });
  });

  describe('413 payload_too_large past 64 KiB', () => {
    const padded = (size: number) => {
      const json = JSON.stringify({ title: 'padded', body: 'b' });
      return json + ' '.repeat(size - json.length);
    };
    const jsonHeaders = () => ({
      'content-type': 'application/json',
      origin: app.origin,
      cookie: `${COOKIE}=${client.cookie!}`,
    });

    test('exactly 64 KiB is read; one byte more is refused', async () => {
      const fits = await client.request('POST', '/api/notes', {
        body: padded(MAX),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(fits.status, 201, fits.text);
      const over = await requestOnce(app, 'POST', '/api/notes', {
        body: padded(MAX + 1),
        headers: jsonHeaders(),
      });
      assertError(over, 413, 'payload_too_large');
    });

    test('on every body-carrying route, with a Content-Length', async () => {
      const body = JSON.stringify({ email: uniqueEmail(), password: 'p'.repeat(MAX) });
      for (const [method, path] of [
        ['POST', '/api/auth/register'],
        ['POST', '/api/auth/login'],
        ['POST', '/api/auth/password'],
        ['POST', '/api/auth/logout'],
        ['POST', '/api/notes'],
        ['PATCH', `/api/notes/${noteId}`],
        ['DELETE', `/api/notes/${noteId}`],
        ['DELETE', '/api/sessions'],
      ] as const) {
        const response = await requestOnce(app, method, path, { body, headers: jsonHeaders() });
        assertError(response, 413, 'payload_too_large');
      }
      assert.equal((await client.get('/api/me')).status, 200, 'nothing was done: still signed in');
      assert.equal((await client.get(`/api/notes/${noteId}`)).status, 200);
    });

    test('a chunked body (no Content-Length) that grows past the limit', async () => {
      const response = await requestOnce(app, 'POST', '/api/notes', {
        chunks: Array.from({ length: 8 }, () => '['.repeat(16 * 1024)),
        headers: jsonHeaders(),
      });
      assertError(response, 413, 'payload_too_large');
      // Under the limit, a chunked body is read like any other.
      const small = await requestOnce(app, 'POST', '/api/notes', {
        chunks: ['{"title":', '"chunked"}'],
        headers: jsonHeaders(),
      });
      assert.equal(small.status, 201, small.text);
    });

    test('a huge body of the wrong type is refused too, never read into a 500', async () => {
      const response = await requestOnce(app, 'POST', '/api/auth/login', {
        body: 'x'.repeat(2 * MAX),
        headers: { ...jsonHeaders(), 'content-type': 'text/plain' },
      });
      assert.ok(response.status === 413 || response.status === 415, String(response.status));
      assertError(
        response,
        response.status,
        response.status === 413 ? 'payload_too_large' : 'unsupported_media_type',
      );
    });
  });

  describe('400 invalid_request for malformed JSON', () => {
    const malformed = [
      '',
      ' ',
      '{',
      '{"title":',
      "{'title':'x'}",
      '{"title":"x",}',
      '{"title":"x"} trailing',
      'NaN',
      'undefined',
      '{"title":"x"}\u0000',
      '{"title":"\\x41"}',
      '{"title":"x" "body":"y"}',
    ];
    for (const [index, text] of malformed.entries()) {
      test(`malformed body #${index}: ${JSON.stringify(text.slice(0, 20))}`, async () => {
        for (const path of ['/api/notes', '/api/auth/login', '/api/auth/register']) {
          const response = await client.request('POST', path, {
            body: text,
            headers: { 'content-type': 'application/json' },
          });
          assertError(response, 400, 'invalid_request');
        }
      });
    }

    test('deeply nested JSON (arrays, objects, and nested inside a field) is refused, never a crash', async () => {
      const depth = 30_000;
      const bodies = [
        '['.repeat(depth) + ']'.repeat(depth),
        '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
        `{"title":${'['.repeat(depth)}${']'.repeat(depth)},"body":""}`,
        `{"title":"ok","body":"","extra":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
        '['.repeat(MAX - 1), // unbalanced
      ];
      for (const body of bodies) {
        for (const path of ['/api/notes', '/api/auth/login']) {
          const response = await client.request('POST', path, {
            body,
            headers: { 'content-type': 'application/json' },
          });
          assertError(response, 400, 'invalid_request');
        }
      }
      assert.equal((await client.get('/api/me')).status, 200, 'the server is fine');
    });
  });

  describe('400 invalid_request for wrong shapes and types', () => {
    test('a body that is not an object', async () => {
      for (const json of [null, 1, 'text', true, [], [{ title: 'x' }]]) {
        for (const [method, path] of [
          ['POST', '/api/auth/register'],
          ['POST', '/api/auth/login'],
          ['POST', '/api/auth/password'],
          ['POST', '/api/notes'],
          ['PATCH', `/api/notes/${noteId}`],
        ] as const) {
          assertError(await client.request(method, path, { json }), 400, 'invalid_request');
        }
      }
    });

    test('unknown fields are refused, so a typo is not silently ignored', async () => {
      assertError(await client.post('/api/notes', { title: 't', bdy: 'b' }), 400, 'invalid_request');
      assertError(
        await client.post('/api/auth/login', { email: uniqueEmail(), password: PASSWORD, remember: true }),
        400,
        'invalid_request',
      );
    });

    test('the message names fields, never echoes their values', async () => {
      const secret = 'my-secret-value-123456';
      const response = await client.post('/api/auth/login', { email: secret, password: secret });
      assertError(response, 400, 'invalid_request');
      assert.ok(!response.text.includes(secret));
    });
  });

  describe('prototype-polluting keys', () => {
    const polluting = [
      '{"__proto__":{"polluted":true},"title":"t","body":"b"}',
      '{"title":"t","body":"b","__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}},"title":"t","body":"b"}',
      '{"title":"t","body":"b","prototype":{"polluted":true}}',
      '{"email":"a@b.cd","password":"correct horse battery","__proto__":{"polluted":true}}',
      '{"email":"a@b.cd","password":"correct horse battery","constructor":{"prototype":{"polluted":true}}}',
      '{"currentPassword":"correct horse battery","newPassword":"another passphrase","__proto__":{"polluted":true}}',
      '{"__proto__":{"title":"from the prototype"}}',
      '{"__proto__":{"email":"a@b.cd","password":"correct horse battery"}}',
      '{"constructor":{"title":"x"}}',
    ];

    test('are refused with 400 invalid_request on every body-carrying route, and pollute nothing', async () => {
      for (const body of polluting) {
        for (const [method, path] of [
          ['POST', '/api/auth/register'],
          ['POST', '/api/auth/login'],
          ['POST', '/api/auth/password'],
          ['POST', '/api/notes'],
          ['PATCH', `/api/notes/${noteId}`],
        ] as const) {
          const response = await client.request(method, path, {
            body,
            headers: { 'content-type': 'application/json' },
          });
          assertError(response, 400, 'invalid_request');
        }
      }
      // The server runs in this process: its Object.prototype is ours.
      assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      const note = (await client.get(`/api/notes/${noteId}`)).body as { note: Record<string, unknown> };
      assert.equal(note.note.title, 'mine', 'the note did not change');
      assert.equal(note.note.polluted, undefined);
    });

    test('an own "__proto__" key in a field value is only text', async () => {
      const response = await client.post('/api/notes', { title: '__proto__', body: 'constructor' });
      assert.equal(response.status, 201);
      const { note } = response.body as { note: { title: string; body: string } };
      assert.equal(note.title, '__proto__');
      assert.equal(note.body, 'constructor');
    });
  });

  describe('huge fields within the size limit', () => {
    test('each field has its own limit and answers 400, never a 500 or a hang', async () => {
      const big = 'x'.repeat(60_000);
      assertError(await client.post('/api/notes', { title: big }), 400, 'invalid_request');
      assertError(await client.post('/api/notes', { title: 't', body: big }), 400, 'invalid_request');
      assertError(await client.patch(`/api/notes/${noteId}`, { body: big }), 400, 'invalid_request');
      assertError(
        await client.post('/api/auth/register', { email: `${big}@example.test`, password: PASSWORD }),
        400,
        'invalid_request',
      );
      assertError(
        await client.post('/api/auth/register', { email: uniqueEmail(), password: big }),
        400,
        'weak_password',
      );
      assertError(
        await client.post('/api/auth/login', { email: `${big}@example.test`, password: PASSWORD }),
        400,
        'invalid_request',
      );
      assertError(
        await client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: big }),
        400,
        'weak_password',
      );
      assertError(
        await client.post('/api/auth/password', {
          currentPassword: big,
          newPassword: 'a fine new passphrase',
        }),
        401,
        'invalid_credentials',
      );
      assert.equal((await client.get('/api/me')).status, 200, 'the wrong current password did not sign out');
    });

    test('lone surrogates and control characters are data, not crashes', async () => {
      const bodies = [
        '{"title":"\\ud800","body":"\\udfff"}',
        '{"title":"\\u0000nul","body":"\\u001b[31m"}',
        '{"email":"\\ud800@example.test","password":"correct horse battery"}',
        '{"email":"a@example.test","password":"\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800"}',
      ];
      for (const body of bodies) {
        for (const path of ['/api/notes', '/api/auth/login', '/api/auth/register']) {
          const response = await client.request('POST', path, {
            body,
            headers: { 'content-type': 'application/json' },
          });
          assert.ok(response.status < 500, `${path} ${body}: ${response.status} ${response.text}`);
          assertNoStackTrace(response.text);
        }
      }
    });
  });

  test('no answer above was a 500, and the log holds neither a cookie nor a password', () => {
    const text = logged.text();
    assert.ok(text.length > 0, 'the site logged its requests');
    assert.ok(!text.includes('"status":500'), 'no request ended in a 500');
    assert.ok(!text.includes(client.cookie!), 'no cookie value');
    assert.ok(!text.includes(client.cookie!.split('.')[1]!), 'no session secret');
    assert.ok(!text.includes(PASSWORD), 'no password');
    assert.ok(!text.includes('my-secret-value-123456'));
  });
});
