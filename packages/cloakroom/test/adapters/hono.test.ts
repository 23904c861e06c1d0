// The Hono middleware beyond the conformance suite: the example app over real HTTP, the same app on the
// Web-standard `app.fetch` path alone (no Node bridge: how Workers, Deno and Bun call it), and errors that
// are not Cloakroom's.
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { after, before, describe, test } from 'node:test';
import { createHonoApp } from '../../../../examples/hono.js';
import { cloakroom, type SessionEnv } from '../../src/adapters/hono.js';
import { createSessionManager, MemoryStore } from '../../src/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { listen, setCookieLine, setCookieValue } from '../helpers/http.js';

const ORIGIN = 'http://localhost:3000';
const KEY = 'k'.repeat(32);

describe('Hono example over real HTTP', () => {
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    const sessions = createSessionManager({
      store: new SqliteStore(new Database(':memory:')),
      origin: ORIGIN,
      keys: [KEY],
    });
    const listener = getRequestListener(createHonoApp(sessions).fetch);
    ({ url: base, close } = await listen(createServer((req, res) => void listener(req, res))));
  });
  after(() => close());

  test('signs in, reads the session, lists it, signs out; bad input is a 400', async () => {
    const post = (path: string, body: unknown, cookie?: string) =>
      fetch(base + path, {
        method: 'POST',
        headers: {
          origin: ORIGIN,
          'content-type': 'application/json',
          ...(cookie === undefined ? {} : { cookie }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    assert.equal((await post('/login', { name: '' })).status, 400);
    const login = await post('/login', { name: 'ada' });
    assert.equal(login.status, 200);
    const cookie = `cloakroom=${setCookieValue(login, 'cloakroom')!}`;
    const me = (await (await fetch(base + '/me', { headers: { cookie } })).json()) as {
      user: { id: string };
      session: { id: string };
    };
    assert.equal(me.user.id, 'ada');
    const list = (await (await fetch(base + '/sessions', { headers: { cookie } })).json()) as {
      sessions: { id: string; current: boolean }[];
    };
    assert.deepEqual(
      list.sessions.map((s) => [s.id, s.current]),
      [[me.session.id, true]],
    );
    const out = await post('/logout', undefined, cookie);
    assert.equal(out.status, 204);
    assert.match(setCookieLine(out, 'cloakroom')!, /Max-Age=0/);
    assert.equal((await fetch(base + '/me', { headers: { cookie } })).status, 401);
    const forged = await post('/logout', undefined, cookie.replace('cloakroom=', 'cloakroom=x'));
    assert.equal(forged.status, 204, 'a forged cookie is anonymous');
  });
});

describe('Hono middleware on the Web-standard fetch path', () => {
  test('memory store: sign in, read, cross-site refusal, other errors left to onError', async () => {
    const sessions = createSessionManager({ store: new MemoryStore(), origin: ORIGIN, keys: [KEY] });
    const app = new Hono<SessionEnv>();
    app.use(cloakroom(sessions));
    app.post('/sign-in', async (c) => {
      await c.var.session.signIn('ada');
      return c.json({ ok: true });
    });
    app.post('/write', (c) => c.json({ user: c.var.session.user }));
    app.get('/me', (c) => c.json({ user: c.get('session').user }));
    app.get('/boom', () => {
      throw new Error('not ours');
    });
    app.onError((_error, c) => c.json({ error: { code: 'internal', message: 'oops' } }, 500));

    const signIn = await app.fetch(
      new Request(`${ORIGIN}/sign-in`, { method: 'POST', headers: { origin: ORIGIN } }),
    );
    assert.equal(signIn.status, 200);
    const lines = signIn.headers.getSetCookie();
    assert.equal(lines.length, 1);
    assert.equal(signIn.headers.get('cache-control'), 'no-store');
    const cookie = lines[0]!.split(';')[0]!;
    const me = await app.fetch(new Request(`${ORIGIN}/me`, { headers: { cookie } }));
    assert.deepEqual(await me.json(), { user: { id: 'ada' } });
    const crossSite = await app.fetch(
      new Request(`${ORIGIN}/write`, {
        method: 'POST',
        headers: { cookie, origin: 'https://evil.example' },
      }),
    );
    assert.equal(crossSite.status, 403);
    assert.deepEqual(((await crossSite.json()) as { error: { code: string } }).error.code, 'csrf_rejected');
    const boom = await app.fetch(new Request(`${ORIGIN}/boom`));
    assert.equal(boom.status, 500);
    assert.deepEqual(await boom.json(), { error: { code: 'internal', message: 'oops' } });
  });
});
