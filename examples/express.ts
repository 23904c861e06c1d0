/**
 * Cloakroom sessions in an Express 5 JSON API, on the embedded SQLite store.
 *
 *   npx tsx examples/express.ts          # then: see the curl lines at the bottom
 */
import Database from 'better-sqlite3';
import express, { type Express } from 'express';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { cloakroom, cloakroomErrors, sessionOf } from 'cloakroom/express';
import { createSessionManager, type SessionManager } from 'cloakroom';
import { SqliteStore } from 'cloakroom/stores/sqlite';

export function createExpressApp(sessions: SessionManager<{ id: string }>): Express {
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.use(cloakroom(sessions));

  app.post('/login', async (req, res) => {
    const name: unknown = (req.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !/^[\w.@-]{1,64}$/.test(name)) {
      res.status(400).json({ error: { code: 'invalid_request', message: 'name is required' } });
      return;
    }
    // Demo only: a real site checks a password first (see cloakroom/accounts).
    const session = await sessionOf(req).signIn(name);
    res.json({ user: { id: name }, session: { id: session.id, expiresAt: session.expiresAt } });
  });

  app.get('/me', (req, res) => {
    const { user, session } = sessionOf(req);
    if (user === null || session === null) {
      res.status(401).json({ error: { code: 'unauthenticated', message: 'Sign in first.' } });
      return;
    }
    res.json({
      user,
      session: { id: session.id, createdAt: session.createdAt, expiresAt: session.expiresAt },
    });
  });

  app.get('/sessions', async (req, res) => {
    const { user, session } = sessionOf(req);
    if (user === null) {
      res.status(401).json({ error: { code: 'unauthenticated', message: 'Sign in first.' } });
      return;
    }
    const list = await sessions.listUserSessions(user.id);
    res.json({
      sessions: list.map((s) => ({ id: s.id, current: s.id === session?.id, lastSeenAt: s.lastSeenAt })),
    });
  });

  app.post('/logout', async (req, res) => {
    await sessionOf(req).signOut();
    res.status(204).end();
  });

  app.use(cloakroomErrors());
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
  createExpressApp(sessions).listen(port, '127.0.0.1', () => {
    console.log(`Express example on ${origin}
  curl -i -c jar -H 'Origin: ${origin}' -H 'Content-Type: application/json' -d '{"name":"ada"}' ${origin}/login
  curl -b jar ${origin}/me`);
  });
}
