// The session core's cross-site rules at the API: unsafe requests that carry the session cookie need a
// trusted Origin or Sec-Fetch-Site: same-origin; sign-in and registration refuse a foreign origin even
// without a cookie, but let a script with neither header through. Refusals are 403 csrf_rejected and do
// nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, uniqueEmail, type RequestOptions } from './client.js';

const PASSWORD = 'correct horse battery';

describe('cross-site request checks at the API', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.stop();
  });

  /** Header sets that must not vouch for an unsafe request that carries the cookie. */
  const refused = (): { name: string; options: RequestOptions }[] => {
    const { hostname, port } = new URL(app.origin);
    return [
      { name: 'neither Origin nor Sec-Fetch-Site', options: { origin: false } },
      { name: 'a foreign Origin', options: { origin: 'https://evil.example' } },
      { name: 'Origin: null', options: { origin: 'null' } },
      {
        name: 'the same host on another port',
        options: { origin: `http://${hostname}:${Number(port) + 1}` },
      },
      { name: 'the https twin of the origin', options: { origin: `https://${hostname}:${port}` } },
      { name: 'localhost for 127.0.0.1', options: { origin: `http://localhost:${port}` } },
      { name: 'a trailing slash', options: { origin: `${app.origin}/` } },
      {
        name: 'Sec-Fetch-Site: cross-site with the right Origin',
        options: { headers: { 'sec-fetch-site': 'cross-site' } },
      },
      {
        name: 'Sec-Fetch-Site: same-site without Origin',
        options: { origin: false, headers: { 'sec-fetch-site': 'same-site' } },
      },
      {
        name: 'Sec-Fetch-Site: same-origin with a foreign Origin',
        options: { origin: 'https://evil.example', headers: { 'sec-fetch-site': 'same-origin' } },
      },
    ];
  };

  describe('unsafe requests with the session cookie', () => {
    test('every unsafe route answers 403 csrf_rejected without a vouching header, and does nothing', async () => {
      const email = uniqueEmail();
      const client = new ApiClient(app);
      await client.register(email);
      const other = new ApiClient(app);
      await other.login(email);
      const note = (await client.post('/api/notes', { title: 'keep me', body: '' })).body as {
        note: { id: string; title: string };
      };
      const sessions = (await client.get('/api/sessions')).body as {
        sessions: { id: string; current: boolean }[];
      };
      const otherId = sessions.sessions.find((session) => !session.current)!.id;

      const unsafe: [string, string, unknown][] = [
        ['POST', '/api/auth/logout', undefined],
        ['POST', '/api/auth/password', { currentPassword: PASSWORD, newPassword: 'hijacked passphrase' }],
        ['POST', '/api/auth/login', { email, password: PASSWORD }],
        ['POST', '/api/auth/register', { email: uniqueEmail(), password: PASSWORD }],
        ['DELETE', '/api/sessions', undefined],
        ['DELETE', `/api/sessions/${otherId}`, undefined],
        ['POST', '/api/notes', { title: 'planted' }],
        ['PATCH', `/api/notes/${note.note.id}`, { title: 'defaced' }],
        ['DELETE', `/api/notes/${note.note.id}`, undefined],
      ];
      for (const { name, options } of refused()) {
        for (const [method, path, json] of unsafe) {
          const response = await client.request(method, path, { ...options, json });
          assertError(response, 403, 'csrf_rejected');
          assert.equal(response.cookie, undefined, `${name}, ${method} ${path}: the cookie is left alone`);
        }
      }

      // Nothing happened: both sessions live, the note is intact, the password unchanged, nothing planted.
      assert.equal((await client.get('/api/me')).status, 200);
      assert.equal((await other.get('/api/me')).status, 200);
      const notes = (await client.get('/api/notes')).body as { notes: { title: string }[] };
      assert.deepEqual(
        notes.notes.map((n) => n.title),
        ['keep me'],
      );
      await new ApiClient(app).login(email, PASSWORD);
    });

    test('a trusted Origin, or Sec-Fetch-Site: same-origin alone, vouches for the request', async () => {
      const client = new ApiClient(app);
      await client.register(uniqueEmail());
      const byOrigin = await client.post('/api/notes', { title: 'by origin' });
      assert.equal(byOrigin.status, 201);
      const byFetchMetadata = await client.post(
        '/api/notes',
        { title: 'by fetch metadata' },
        { origin: false, headers: { 'sec-fetch-site': 'same-origin' } },
      );
      assert.equal(byFetchMetadata.status, 201);
      const both = await client.post(
        '/api/notes',
        { title: 'both' },
        { headers: { 'sec-fetch-site': 'same-origin' } },
      );
      assert.equal(both.status, 201);
    });

    test('a cookie that is not a valid session is still a cookie: no vouching header, 403', async () => {
      const client = new ApiClient(app);
      const response = await client.post(
        '/api/notes',
        { title: 'x' },
        { cookie: 'forged.token.value', origin: false },
      );
      assertError(response, 403, 'csrf_rejected');
    });

    test('safe requests are not checked: GET with a foreign Origin or no header reads normally', async () => {
      const client = new ApiClient(app);
      await client.register(uniqueEmail());
      assert.equal((await client.get('/api/me', { origin: 'https://evil.example' })).status, 200);
      assert.equal((await client.get('/api/notes', { origin: false })).status, 200);
      assert.equal(
        (await client.get('/api/sessions', { headers: { 'sec-fetch-site': 'cross-site' } })).status,
        200,
      );
    });
  });

  describe('login CSRF: sign-in and registration without a cookie', () => {
    for (const route of ['/api/auth/login', '/api/auth/register'] as const) {
      test(`${route} from a foreign context is 403 csrf_rejected, with no cookie and no account`, async () => {
        const email = uniqueEmail();
        if (route === '/api/auth/login') await new ApiClient(app).register(email);
        const attacker = new ApiClient(app);
        for (const options of [
          { origin: 'https://evil.example' },
          { origin: 'null' },
          { origin: false, headers: { 'sec-fetch-site': 'cross-site' } },
          { origin: false, headers: { 'sec-fetch-site': 'same-site' } },
          { headers: { 'sec-fetch-site': 'cross-site' } },
        ] satisfies RequestOptions[]) {
          const response = await attacker.post(route, { email, password: PASSWORD }, options);
          assertError(response, 403, 'csrf_rejected');
          assert.equal(response.cookie, undefined);
        }
        assert.equal(attacker.cookie, null);
        if (route === '/api/auth/register') {
          // The refused registrations created nothing: the address is still free.
          await new ApiClient(app).register(email);
        }
      });

      test(`${route}: a cross-site form post is 403 csrf_rejected whatever its body`, async () => {
        // What a login-CSRF page can actually send: a simple form, with no preflight.
        for (const [type, body] of [
          ['application/x-www-form-urlencoded', 'email=victim%40example.test&password=x'],
          ['text/plain', '{"email":"victim@example.test","password":"correct horse battery"}'],
          [
            'multipart/form-data; boundary=b',
            '--b\r\nContent-Disposition: form-data; name="email"\r\n\r\nx\r\n--b--',
          ],
        ] as const) {
          const response = await new ApiClient(app).request('POST', route, {
            origin: 'https://evil.example',
            headers: { 'content-type': type, 'sec-fetch-site': 'cross-site' },
            body,
          });
          assertError(response, 403, 'csrf_rejected');
        }
      });
    }

    test('a script with neither header may register and sign in', async () => {
      const email = uniqueEmail();
      const script = new ApiClient(app);
      const registered = await script.post(
        '/api/auth/register',
        { email, password: PASSWORD },
        { origin: false },
      );
      assert.equal(registered.status, 201);
      const fresh = new ApiClient(app);
      const response = await fresh.post('/api/auth/login', { email, password: PASSWORD }, { origin: false });
      assert.equal(response.status, 200);
      assert.ok(fresh.cookie);
      // With the cookie in hand, the script's unsafe requests need the Origin like anyone's.
      assertError(await fresh.post('/api/notes', { title: 'x' }, { origin: false }), 403, 'csrf_rejected');
      assert.equal((await fresh.post('/api/notes', { title: 'x' })).status, 201);
    });

    test('Sec-Fetch-Site: same-origin or none without Origin may sign in', async () => {
      const email = uniqueEmail();
      await new ApiClient(app).register(email);
      for (const site of ['same-origin', 'none']) {
        const response = await new ApiClient(app).post(
          '/api/auth/login',
          { email, password: PASSWORD },
          { origin: false, headers: { 'sec-fetch-site': site } },
        );
        assert.equal(response.status, 200, site);
      }
    });
  });
});
