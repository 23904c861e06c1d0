// The Fastify plugin beyond the conformance suite: the example app, living beside @fastify/cookie (cookie
// written once, other cookies kept), an application's own error handler, and errors that are not ours.
import fastifyCookie from '@fastify/cookie';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createFastifyApp } from '../../../../examples/fastify.js';
import { cloakroom, sendSessionError, sessionOf } from '../../src/adapters/fastify.js';
import { createSessionManager, MemoryStore, type SessionStore } from '../../src/index.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { setCookieLine, setCookieValue } from '../helpers/http.js';

const ORIGIN = 'http://localhost:3000';
const KEY = 'k'.repeat(32);

describe('Fastify example over real HTTP', () => {
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    const sessions = createSessionManager({
      store: new SqliteStore(new Database(':memory:')),
      origin: ORIGIN,
      keys: [KEY],
    });
    const app = await createFastifyApp(sessions);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    close = () => app.close();
  });
  after(() => close());

  test('signs in, reads the session, lists it, signs out; bad input is a 400', async () => {
    const post = (path: string, body: unknown, cookie?: string) =>
      fetch(base + path, {
        method: 'POST',
        headers: {
          origin: ORIGIN,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
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
  });
});

describe('Fastify plugin alongside other plugins and handlers', () => {
  function failingStore(): SessionStore {
    const inner = new MemoryStore();
    return {
      get: () => Promise.reject(new Error('connect ECONNREFUSED')),
      create: (session) => inner.create(session),
      touch: () => Promise.reject(new Error('connect ECONNREFUSED')),
      replace: () => Promise.reject(new Error('connect ECONNREFUSED')),
      delete: () => Promise.reject(new Error('connect ECONNREFUSED')),
    };
  }

  test('with @fastify/cookie: one session cookie, the other plugin’s cookies kept', async () => {
    const sessions = createSessionManager({ store: new MemoryStore(), origin: ORIGIN, keys: [KEY] });
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(cloakroom, { sessions });
    app.post('/sign-in', async (request, reply) => {
      void reply.setCookie('theme', 'dark', { path: '/' });
      await request.cloakroom.signIn('ada');
      return { seen: request.cookies.theme ?? null };
    });
    app.get('/me', (request) => ({ user: sessionOf(request).user }));
    try {
      const first = await app.inject({ method: 'POST', url: '/sign-in', headers: { origin: ORIGIN } });
      const lines = ([] as string[]).concat(first.headers['set-cookie'] ?? []);
      assert.equal(lines.filter((line) => line.startsWith('cloakroom=')).length, 1, lines.join(' | '));
      assert.ok(
        lines.some((line) => line.startsWith('theme=dark')),
        lines.join(' | '),
      );
      assert.equal(first.headers['cache-control'], 'no-store');
      const cookie = `${lines.find((line) => line.startsWith('cloakroom='))!.split(';')[0]!}; theme=dark`;
      // Signing in again over the cookie: the old one is cleared and the new one set, still one line.
      const again = await app.inject({
        method: 'POST',
        url: '/sign-in',
        headers: { origin: ORIGIN, cookie },
      });
      const againLines = ([] as string[]).concat(again.headers['set-cookie'] ?? []);
      assert.equal(againLines.filter((line) => line.startsWith('cloakroom=')).length, 1);
      assert.deepEqual(again.json(), { seen: 'dark' }, '@fastify/cookie still parses cookies');
      const me = await app.inject({ url: '/me', headers: { cookie } });
      assert.deepEqual(me.json(), { user: null }, 'the replaced session is gone');
    } finally {
      await app.close();
    }
  });

  test('errorHandler: false leaves errors to the application’s handler, which uses sendSessionError', async () => {
    const sessions = createSessionManager({ store: failingStore(), origin: ORIGIN, keys: [KEY] });
    const app = Fastify();
    await app.register(cloakroom, { sessions, errorHandler: false });
    const seen: string[] = [];
    app.setErrorHandler((error, _request, reply) => {
      seen.push((error as { code?: string }).code ?? 'other');
      if (sendSessionError(reply, error)) return reply;
      return reply.code(500).send({ error: { code: 'internal', message: 'Something went wrong.' } });
    });
    app.get('/me', (request) => ({ user: request.cloakroom.user }));
    app.get('/boom', () => {
      throw new Error('not ours');
    });
    try {
      const issued = await createSessionManager({
        store: new MemoryStore(),
        origin: ORIGIN,
        keys: [KEY],
      }).create('ada');
      const cookie = issued.setCookie.split(';')[0]!;
      const down = await app.inject({ url: '/me', headers: { cookie } });
      assert.equal(down.statusCode, 503);
      assert.equal(down.json<{ error: { code: string } }>().error.code, 'store_unavailable');
      assert.equal(down.headers['cache-control'], 'no-store');
      const boom = await app.inject({ url: '/boom' });
      assert.equal(boom.statusCode, 500);
      assert.deepEqual(seen, ['store_unavailable', 'other']);
    } finally {
      await app.close();
    }
  });

  test('the default handler answers errors that are not Cloakroom’s as Fastify would', async () => {
    const sessions = createSessionManager({ store: new MemoryStore(), origin: ORIGIN, keys: [KEY] });
    const app = Fastify();
    await app.register(cloakroom, { sessions });
    app.get('/boom', () => {
      throw Object.assign(new Error('teapot'), { statusCode: 418 });
    });
    try {
      const boom = await app.inject({ url: '/boom' });
      assert.equal(boom.statusCode, 418);
      assert.equal(boom.json<{ message: string }>().message, 'teapot');
    } finally {
      await app.close();
    }
  });

  test('misuse: registering without a session manager fails at startup', async () => {
    const app = Fastify();
    await assert.rejects(
      async () => {
        // @ts-expect-error -- sessions is required
        await app.register(cloakroom, {});
      },
      { name: 'TypeError' },
    );
  });
});
