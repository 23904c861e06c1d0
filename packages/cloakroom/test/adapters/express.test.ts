import Database from 'better-sqlite3';
import express from 'express';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createExpressApp } from '../../../../examples/express.js';
import { cloakroom, cloakroomErrors, sessionOf } from '../../src/adapters/express.js';
import { createSessionManager, MemoryStore, type SessionStore } from '../../src/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { listen, setCookieLine, setCookieValue } from '../helpers/http.js';

const ORIGIN = 'http://localhost:3000';
const KEY = 'k'.repeat(32);

describe('Express adapter over real HTTP', () => {
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    const sessions = createSessionManager({
      store: new SqliteStore(new Database(':memory:')),
      origin: ORIGIN,
      keys: [KEY],
    });
    ({ url: base, close } = await listen(createServer(createExpressApp(sessions))));
  });
  after(() => close());

  const json = (path: string, method: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function login(name: string): Promise<string> {
    const response = await json('/login', 'POST', { name });
    assert.equal(response.status, 200);
    return `cloakroom=${setCookieValue(response, 'cloakroom')!}`;
  }

  test('signs in, reads the session, lists it, signs out', async () => {
    const cookie = await login('ada');
    const me = await fetch(base + '/me', { headers: { cookie } });
    assert.equal(me.status, 200);
    const body = (await me.json()) as { user: { id: string }; session: { id: string } };
    assert.equal(body.user.id, 'ada');
    const list = (await (await fetch(base + '/sessions', { headers: { cookie } })).json()) as {
      sessions: { id: string; current: boolean }[];
    };
    assert.deepEqual(
      list.sessions.map((s) => [s.id, s.current]),
      [[body.session.id, true]],
    );
    const out = await json('/logout', 'POST', undefined, { cookie });
    assert.equal(out.status, 204);
    assert.match(setCookieLine(out, 'cloakroom')!, /Max-Age=0/);
    assert.equal((await fetch(base + '/me', { headers: { cookie } })).status, 401);
  });

  test('a response that sets the cookie is not cacheable', async () => {
    const response = await json('/login', 'POST', { name: 'bob' });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  test('a cookie from before sign-in is replaced and dies', async () => {
    const planted = await login('mallory');
    const response = await json('/login', 'POST', { name: 'alice' }, { cookie: planted });
    const fresh = `cloakroom=${setCookieValue(response, 'cloakroom')!}`;
    assert.notEqual(fresh, planted);
    assert.equal((await fetch(base + '/me', { headers: { cookie: planted } })).status, 401);
    assert.equal((await fetch(base + '/me', { headers: { cookie: fresh } })).status, 200);
  });

  test('cross-site unsafe requests with the cookie get 403 csrf_rejected', async () => {
    const cookie = await login('carol');
    const cases: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of cases) {
      const response = await json('/logout', 'POST', undefined, { cookie, ...headers });
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'csrf_rejected');
    }
    assert.equal((await fetch(base + '/me', { headers: { cookie } })).status, 200);
  });

  test('login from a foreign origin is refused in the route and answered by cloakroomErrors()', async () => {
    const response = await json('/login', 'POST', { name: 'victim' }, { origin: 'https://evil.example' });
    assert.equal(response.status, 403);
    assert.equal(setCookieValue(response, 'cloakroom'), undefined);
  });
});

describe('Express adapter when the store fails', () => {
  let base: string;
  let close: () => Promise<void>;
  let failing = false;
  let token = '';

  before(async () => {
    const inner = new MemoryStore();
    const fail = () => Promise.reject(new Error('connection refused'));
    const store: SessionStore = {
      get: (id) => (failing ? fail() : inner.get(id)),
      create: (s) => (failing ? fail() : inner.create(s)),
      touch: (id, t) => (failing ? fail() : inner.touch(id, t)),
      replace: (id, v, n) => (failing ? fail() : inner.replace(id, v, n)),
      delete: (id) => (failing ? fail() : inner.delete(id)),
    };
    const sessions = createSessionManager({ store, origin: ORIGIN, keys: [KEY] });
    token = (await sessions.create('ada')).token;
    const app = express();
    app.use(cloakroom(sessions));
    app.get('/me', (req, res) => {
      const { user } = sessionOf(req);
      res.status(user ? 200 : 401).json({ user });
    });
    app.post('/login', async (req, res) => {
      await sessionOf(req).signIn('ada');
      res.json({ ok: true });
    });
    app.use(cloakroomErrors());
    ({ url: base, close } = await listen(createServer(app)));
  });
  after(() => close());

  test('answers 503 store_unavailable, never 200 or 401, and recovers by itself', async () => {
    failing = true;
    const down = await fetch(base + '/me', { headers: { cookie: `cloakroom=${token}` } });
    assert.equal(down.status, 503);
    assert.deepEqual(await down.json(), {
      error: { code: 'store_unavailable', message: 'The session store is unavailable. Try again shortly.' },
    });
    assert.equal(setCookieValue(down, 'cloakroom'), undefined, 'the cookie is not cleared: nothing is lost');
    const login = await fetch(base + '/login', { method: 'POST', headers: { origin: ORIGIN } });
    assert.equal(login.status, 503);
    assert.equal(
      setCookieValue(login, 'cloakroom'),
      undefined,
      'no cookie for a session that was not stored',
    );
    failing = false;
    assert.equal((await fetch(base + '/me', { headers: { cookie: `cloakroom=${token}` } })).status, 200);
  });
});
