import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errorResponseOf, withSessionCookies, withSessions } from '../../src/adapters/web.js';
import { createSessionManager, CsrfRejectedError, MemoryStore, type SessionStore } from '../../src/index.js';

const ORIGIN = 'https://app.example';
const KEY = 'w'.repeat(32);

function app(store: SessionStore = new MemoryStore()) {
  const sessions = createSessionManager({ store, origin: ORIGIN, keys: [KEY] });
  const handle = withSessions(sessions, async (request, session) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/login') {
      await session.signIn('ada');
      return Response.json({ ok: true });
    }
    if (pathname === '/logout') {
      await session.signOut();
      return new Response(null, { status: 204 });
    }
    if (pathname === '/rotate') {
      await session.rotate();
      return new Response(null, { status: 204 });
    }
    return session.user
      ? Response.json({ user: session.user })
      : Response.json({ user: null }, { status: 401 });
  });
  return { sessions, handle };
}

const cookieOf = (response: Response) => response.headers.getSetCookie()[0]?.split(';')[0] ?? '';

describe('Web Request/Response adapter', () => {
  test('signs in with a __Host- Secure cookie on an https origin and reads it back', async () => {
    const { handle } = app();
    const login = await handle(
      new Request(`${ORIGIN}/login`, { method: 'POST', headers: { origin: ORIGIN } }),
    );
    const line = login.headers.getSetCookie()[0]!;
    assert.match(
      line,
      /^__Host-cloakroom=[\w-]{16}\.[\w-]{22}\.[\w-]{22}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    assert.equal(login.headers.get('cache-control'), 'no-store');
    const me = await handle(new Request(`${ORIGIN}/me`, { headers: { cookie: cookieOf(login) } }));
    assert.deepEqual(await me.json(), { user: { id: 'ada' } });
  });

  test('signing in over a stale cookie answers exactly one Set-Cookie', async () => {
    const { handle, sessions } = app();
    const { token, session } = await sessions.create('ada');
    await sessions.revoke(session.id);
    const login = await handle(
      new Request(`${ORIGIN}/login`, {
        method: 'POST',
        headers: { origin: ORIGIN, cookie: `__Host-cloakroom=${token}` },
      }),
    );
    assert.equal(login.headers.getSetCookie().length, 1);
    assert.match(login.headers.getSetCookie()[0]!, /^__Host-cloakroom=[\w-]{16}\./);
  });

  test('rotation swaps the cookie and kills the old one', async () => {
    const { handle } = app();
    const login = await handle(
      new Request(`${ORIGIN}/login`, { method: 'POST', headers: { origin: ORIGIN } }),
    );
    const old = cookieOf(login);
    const rotated = await handle(
      new Request(`${ORIGIN}/rotate`, { method: 'POST', headers: { origin: ORIGIN, cookie: old } }),
    );
    const fresh = cookieOf(rotated);
    assert.notEqual(fresh, old);
    assert.equal((await handle(new Request(`${ORIGIN}/me`, { headers: { cookie: old } }))).status, 401);
    assert.equal((await handle(new Request(`${ORIGIN}/me`, { headers: { cookie: fresh } }))).status, 200);
  });

  test('a refused cross-site request becomes a 403 JSON response', async () => {
    const { handle, sessions } = app();
    const { token } = await sessions.create('ada');
    const response = await handle(
      new Request(`${ORIGIN}/logout`, {
        method: 'POST',
        headers: { cookie: `__Host-cloakroom=${token}`, 'sec-fetch-site': 'cross-site' },
      }),
    );
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'csrf_rejected');
    assert.equal((await sessions.validate(token)).valid, true);
  });

  test('a store failure becomes a 503 JSON response', async () => {
    const inner = new MemoryStore();
    const store: SessionStore = {
      get: () => Promise.reject(new Error('down')),
      create: (s) => inner.create(s),
      touch: (i, t) => inner.touch(i, t),
      replace: (i, v, n) => inner.replace(i, v, n),
      delete: (i) => inner.delete(i),
    };
    const { handle, sessions } = app(store);
    const { token } = await sessions.create('ada');
    const response = await handle(
      new Request(`${ORIGIN}/me`, { headers: { cookie: `__Host-cloakroom=${token}` } }),
    );
    assert.equal(response.status, 503);
  });

  test('other errors propagate to the server', async () => {
    const sessions = createSessionManager({ store: new MemoryStore(), origin: ORIGIN, keys: [KEY] });
    const handle = withSessions(sessions, () => {
      throw new RangeError('application bug');
    });
    await assert.rejects(handle(new Request(`${ORIGIN}/`)), RangeError);
  });

  test('helpers: errorResponseOf and withSessionCookies', async () => {
    assert.equal(errorResponseOf(new Error('x')), null);
    assert.equal(errorResponseOf(new CsrfRejectedError('missing_origin'))?.status, 403);
    const redirect = Response.redirect(`${ORIGIN}/`, 303); // immutable headers
    const copy = withSessionCookies(redirect, ['a=b']);
    assert.equal(copy.status, 303);
    assert.deepEqual(copy.headers.getSetCookie(), ['a=b']);
    assert.equal(withSessionCookies(redirect, []), redirect);
    await Promise.resolve();
  });
});
