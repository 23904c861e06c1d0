/**
 * Cloakroom sessions in a Fastify 5 JSON API, on the embedded SQLite store.
 *
 *   npx tsx examples/fastify.ts          # then: see the curl lines it prints
 */
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createSessionManager, type SessionManager } from 'cloakroom';
import { cloakroom } from 'cloakroom/fastify';
import { SqliteStore } from 'cloakroom/stores/sqlite';

const unauthenticated = { error: { code: 'unauthenticated', message: 'Sign in first.' } };

export async function createFastifyApp(sessions: SessionManager<{ id: string }>): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 16 * 1024 });
  await app.register(cloakroom, { sessions });

  app.post<{ Body: { name?: unknown } | null }>('/login', async (request, reply) => {
    const name = request.body?.name;
    if (typeof name !== 'string' || !/^[\w.@-]{1,64}$/.test(name))
      return reply.code(400).send({ error: { code: 'invalid_request', message: 'name is required' } });
    // Demo only: a real site checks a password first (see cloakroom/accounts).
    const session = await request.cloakroom.signIn(name);
    return { user: { id: name }, session: { id: session.id, expiresAt: session.expiresAt } };
  });

  app.get('/me', async (request, reply) => {
    const { user, session } = request.cloakroom;
    if (user === null || session === null) return reply.code(401).send(unauthenticated);
    return { user, session: { id: session.id, createdAt: session.createdAt, expiresAt: session.expiresAt } };
  });

  app.get('/sessions', async (request, reply) => {
    const { user, session } = request.cloakroom;
    if (user === null) return reply.code(401).send(unauthenticated);
    const list = await sessions.listUserSessions(user.id);
    return {
      sessions: list.map((s) => ({ id: s.id, current: s.id === session?.id, lastSeenAt: s.lastSeenAt })),
    };
  });

  app.post('/logout', async (request, reply) => {
    await request.cloakroom.signOut();
    return reply.code(204).send();
  });
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
  const app = await createFastifyApp(sessions);
  await app.listen({ port, host: '127.0.0.1' });
  console.log(`Fastify example on ${origin}
  curl -i -c jar -H 'Origin: ${origin}' -H 'Content-Type: application/json' -d '{"name":"ada"}' ${origin}/login
  curl -b jar ${origin}/me`);
}
