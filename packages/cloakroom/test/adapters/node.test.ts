import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createExampleServer, createSessions } from '../../../../examples/node-http.js';
import { listen, setCookieLine, setCookieValue } from '../helpers/http.js';

// Real HTTP against the node:http example: a real server, real SQLite file, real cookies.
describe('node:http adapter over real HTTP', () => {
  let dataDir: string;
  let base: string;
  let origin: string;
  let close: () => Promise<void>;
  const NAME = 'cloakroom';

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cloakroom-node-'));
    // The public origin is what browsers put in Origin; the server itself listens on a free loopback port,
    // as it would behind a proxy.
    origin = 'http://localhost:8080';
    const started = await listen(createExampleServer(createSessions({ dataDir, origin })));
    base = started.url;
    close = started.close;
  });

  after(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin, ...headers },
      body,
    });
  const home = (cookie?: string) => fetch(base + '/', { headers: cookie ? { cookie } : {} });
  const cookieFor = (value: string) => `${NAME}=${value}`;

  async function signIn(name: string, headers: Record<string, string> = {}): Promise<string> {
    const response = await post('/sign-in', `name=${name}`, headers);
    assert.equal(response.status, 303);
    const value = setCookieValue(response, NAME);
    assert.ok(value, 'a session cookie is set');
    return value;
  }

  function sessionRows(): number {
    const db = new Database(join(dataDir, 'sessions.db'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM cloakroom_sessions').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  test('signs in with a hardened cookie and recognises the user', async () => {
    const response = await post('/sign-in', 'name=ada');
    const line = setCookieLine(response, NAME);
    assert.ok(line);
    assert.match(line, /HttpOnly/);
    assert.match(line, /SameSite=Lax/);
    assert.match(line, /Path=\//);
    assert.doesNotMatch(line, /Secure/, 'plain http is allowed on a loopback origin');
    const page = await home(cookieFor(setCookieValue(response, NAME)!));
    assert.match(await page.text(), /Signed in as <strong>ada<\/strong>/);
  });

  test('the signing key is stored with mode 0600', () => {
    assert.equal(statSync(join(dataDir, 'session-key')).mode & 0o777, 0o600);
  });

  test('a cookie issued before sign-in does not survive sign-in', async () => {
    const planted = await signIn('mallory');
    const fresh = await signIn('alice', { cookie: cookieFor(planted) });
    assert.notEqual(fresh, planted);
    const old = await home(cookieFor(planted));
    assert.match(await old.text(), /You are signed out/);
    assert.equal(setCookieValue(old, NAME), '', 'the dead cookie is cleared');
    assert.match(await (await home(cookieFor(fresh))).text(), /Signed in as <strong>alice/);
  });

  test('signing in over a stale cookie answers exactly one Set-Cookie for the session', async () => {
    const stale = await signIn('hana');
    await post('/sign-out', '', { cookie: cookieFor(stale) });
    const response = await post('/sign-in', 'name=hana', { cookie: cookieFor(stale) });
    const lines = response.headers.getSetCookie().filter((line) => line.startsWith(`${NAME}=`));
    assert.equal(lines.length, 1, lines.join(' | '));
    assert.notEqual(setCookieValue(response, NAME), '');
  });

  test('a signed-out session is refused on replay', async () => {
    const token = await signIn('bob');
    const out = await post('/sign-out', '', { cookie: cookieFor(token) });
    assert.equal(out.status, 303);
    assert.equal(setCookieValue(out, NAME), '');
    assert.match(await (await home(cookieFor(token))).text(), /You are signed out/);
  });

  test('a revoked session is refused on its next request', async () => {
    const laptop = await signIn('carol');
    const phone = await signIn('carol');
    const id = phone.slice(0, 16);
    const response = await post('/revoke', `id=${id}`, { cookie: cookieFor(laptop) });
    assert.equal(response.status, 303);
    assert.match(await (await home(cookieFor(phone))).text(), /You are signed out/);
    assert.match(await (await home(cookieFor(laptop))).text(), /Signed in as <strong>carol/);
  });

  test('sign out everywhere ends every session of the user', async () => {
    const a = await signIn('dave');
    const b = await signIn('dave');
    const response = await post('/sign-out-everywhere', '', { cookie: cookieFor(a) });
    assert.equal(response.status, 303);
    for (const token of [a, b]) assert.match(await (await home(cookieFor(token))).text(), /signed out/);
  });

  test('tampered, forged and garbage cookies are refused and create no store record', async () => {
    const token = await signIn('erin');
    const rows = sessionRows();
    const tampered = token.slice(0, 20) + (token[20] === 'x' ? 'y' : 'x') + token.slice(21);
    const forged = 'AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB.CCCCCCCCCCCCCCCCCCCCCC';
    const headers = [
      cookieFor(tampered),
      cookieFor(forged),
      cookieFor('x'.repeat(5000)),
      `${cookieFor(token)}; ${cookieFor(token)}`,
      '=;;;==; %%%; \u00ff',
    ];
    for (const cookie of headers) {
      const response = await home(cookie);
      assert.equal(response.status, 200, cookie.slice(0, 40));
      assert.match(await response.text(), /You are signed out/);
    }
    assert.equal(sessionRows(), rows);
  });

  describe('cross-site request checks', () => {
    test('refuse unsafe requests with the session cookie from other origins', async () => {
      const token = await signIn('frank');
      const cases: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { origin: 'http://localhost:8081' },
        { origin, 'sec-fetch-site': 'cross-site' },
        { origin, 'sec-fetch-site': 'same-site' },
      ];
      for (const headers of cases) {
        const response = await post('/sign-out', '', { cookie: cookieFor(token), ...headers });
        assert.equal(response.status, 403, JSON.stringify(headers));
        assert.deepEqual(await response.json(), {
          error: {
            code: 'csrf_rejected',
            message: 'The request was refused by the cross-site request checks.',
          },
        });
      }
      // Neither Origin nor Sec-Fetch-Site: not a browser form; refused too.
      const bare = await fetch(base + '/sign-out', { method: 'POST', headers: { cookie: cookieFor(token) } });
      assert.equal(bare.status, 403);
      // The session survived every refused attempt.
      assert.match(await (await home(cookieFor(token))).text(), /Signed in as <strong>frank/);
      const ok = await post('/sign-out', '', { cookie: cookieFor(token), 'sec-fetch-site': 'same-origin' });
      assert.equal(ok.status, 303);
    });

    test('apply to sign-in too (login CSRF), but let a client with neither header sign in', async () => {
      const evil = await post('/sign-in', 'name=victim', { origin: 'https://evil.example' });
      assert.equal(evil.status, 403);
      assert.equal(setCookieValue(evil, NAME), undefined);
      const script = await fetch(base + '/sign-in', {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=script',
      });
      assert.equal(script.status, 303);
    });

    test('leave safe methods alone', async () => {
      const token = await signIn('gina');
      const response = await fetch(base + '/', {
        headers: { cookie: cookieFor(token), origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      });
      assert.equal(response.status, 200);
    });
  });
});
