/**
 * Cloakroom sessions in a Hono 4 JSON API on @hono/node-server, on the embedded SQLite store.
 *
 *   npx tsx examples/hono.ts             # then: see the curl lines it prints
 */
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createSessionManager, type SessionManager } from 'cloakroom';
import { errorResponseOf } from 'cloakroom/http';
import { cloakroom, type SessionEnv } from 'cloakroom/hono';
import { SqliteStore } from 'cloakroom/stores/sqlite';

type User = { id: string };
const unauthenticated = { error: { code: 'unauthenticated', message: 'Sign in first.' } };

export function createHonoApp(sessions: SessionManager<User>): Hono<SessionEnv<User>> {
  const app = new Hono<SessionEnv<User>>();
  app.use(cloakroom(sessions, { ipOf: (c) => getConnInfo(c).remote.address ?? null }));

  app.post('/login', async (c) => {
    const body: unknown = await c.req.json().catch(() => null);
    const name = (body as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || !/^[\w.@-]{1,64}$/.test(name))
      return c.json({ error: { code: 'invalid_request', message: 'name is required' } }, 400);
    // Demo only: a real site checks a password first (see cloakroom/accounts).
    const session = await c.var.session.signIn(name);
    return c.json({ user: { id: name }, session: { id: session.id, expiresAt: session.expiresAt } });
  });

  app.get('/me', (c) => {
    const { user, session } = c.get('session');
    if (user === null || session === null) return c.json(unauthenticated, 401);
    return c.json({
      user,
      session: { id: session.id, createdAt: session.createdAt, expiresAt: session.expiresAt },
    });
  });

  app.get('/sessions', async (c) => {
    const { user, session } = c.var.session;
    if (user === null) return c.json(unauthenticated, 401);
    const list = await sessions.listUserSessions(user.id);
    return c.json({
      sessions: list.map((s) => ({ id: s.id, current: s.id === session?.id, lastSeenAt: s.lastSeenAt })),
    });
  });

  app.post('/logout', async (c) => {
    await c.var.session.signOut();
    return c.body(null, 204);
  });

  // The middleware already answers Cloakroom's errors; this keeps Hono's default handler from logging them
  // as crashes, and answers anything else with a bare 500.
  app.onError((error, c) => errorResponseOf(error) ?? c.text('Internal Server Error', 500));
  return app;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 3000);
  const origin = `http://localhost:${port}`;
  const sessions = createSessionManager({
    store: new SqliteStore(new Database(':memory:')),
    origin,
    // A fresh key per run signs everyone out on restart; a real site loads its keys from a secret store.
    keys: [randomBytes(32)],
  });
  serve({ fetch: createHonoApp(sessions).fetch, port, hostname: '127.0.0.1' }, () => {
    console.log(`Hono example on ${origin}
  curl -i -c jar -H 'Origin: ${origin}' -H 'Content-Type: application/json' -d '{"name":"ada"}' ${origin}/login
  curl -b jar ${origin}/me`);
  });
}
