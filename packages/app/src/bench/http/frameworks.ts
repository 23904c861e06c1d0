/**
 * The Fastify and Hono HTTP scenarios: each framework bare (the same JSON body, no session), with
 * Cloakroom's adapter on Redis (alone and behind the near-cache), and Fastify with its own session plugin
 * (`@fastify/session` + `@fastify/cookie`, sessions in the same Redis through connect-redis), each built as
 * the framework's README sets it up. server.ts serves the listener each returns on node:http.
 */
import { createServer, type RequestListener } from 'node:http';
import type { SessionStore } from 'cloakroom/stores';
import { importOptional, missingPackage } from '../optional.js';
import { benchManager, redisUrl, SEED_USER_ID, type BenchUser, type UserDatabase } from '../world.js';

/** A scenario's server, as server.ts runs it. */
export interface FrameworkSite {
  listener: RequestListener;
  /** The Cookie header that signs the bench user in ('' when `POST /login` sets it). */
  cookie: string;
  close(): Promise<void>;
}

/** The Redis store the Cloakroom scenarios share with server.ts (keys under the run's prefix). */
export type RedisStoreFactory = (
  users: UserDatabase,
  nearCache: boolean,
) => Promise<{ store: SessionStore<BenchUser>; close: () => Promise<void> }>;

declare module 'fastify' {
  interface Session {
    /** What the @fastify/session scenario keeps in its session, as express-session's does. */
    benchUser?: BenchUser;
  }
}

const UNAUTHENTICATED = { error: { code: 'unauthenticated', message: 'Sign in.' } };

function seedUser(users: UserDatabase): BenchUser {
  const user = users.loadUser(SEED_USER_ID);
  if (user === null) throw new Error('the bench user is missing');
  return user;
}

interface ConnectRedisModule {
  RedisStore: new (options: { client: unknown; prefix?: string }) => unknown;
}

interface NodeRedisModule {
  createClient(options: { url: string }): {
    connect(): Promise<unknown>;
    on(event: 'error', listener: () => void): unknown;
    quit(): Promise<unknown>;
  };
}

/** Fastify 5: bare, Cloakroom's plugin on Redis (± near-cache), or @fastify/session on Redis. */
export async function fastifySite(
  users: UserDatabase,
  kind: 'bare' | 'cloakroom-redis' | 'cloakroom-near-cache' | 'fastify-session',
  redisStore: RedisStoreFactory,
  prefix: string,
): Promise<FrameworkSite> {
  const fastify = await importOptional<typeof import('fastify')>('fastify');
  if (fastify === null) throw new Error(missingPackage('fastify'));
  const user = seedUser(users);
  // Fastify hands its request handler to serverFactory; server.ts serves it on its own node:http server.
  let handler: RequestListener | null = null;
  const app = fastify.default({
    serverFactory: (handle) => {
      handler = handle;
      return createServer(handle); // never listens
    },
  });
  let cookie = '';
  let close = (): Promise<void> => Promise.resolve();
  if (kind === 'bare') {
    app.get('/me', () => ({ user }));
  } else if (kind === 'fastify-session') {
    const cookiePlugin = await importOptional<typeof import('@fastify/cookie')>('@fastify/cookie');
    const sessionPlugin = await importOptional<typeof import('@fastify/session')>('@fastify/session');
    const connectRedis = await importOptional<ConnectRedisModule>('connect-redis');
    const nodeRedis = await importOptional<NodeRedisModule>('redis');
    if (cookiePlugin === null) throw new Error(missingPackage('@fastify/cookie'));
    if (sessionPlugin === null) throw new Error(missingPackage('@fastify/session'));
    if (connectRedis === null) throw new Error(missingPackage('connect-redis'));
    if (nodeRedis === null) throw new Error(missingPackage('redis'));
    const client = nodeRedis.createClient({ url: redisUrl() });
    client.on('error', () => undefined);
    await client.connect();
    const store = new connectRedis.RedisStore({ client, prefix });
    await app.register(cookiePlugin.default);
    await app.register(sessionPlugin.default, {
      secret: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
      saveUninitialized: false,
      cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
      store: store as import('@fastify/session').FastifySessionOptions['store'],
    });
    app.post('/login', async (request, reply) => {
      request.session.set('benchUser', user);
      return reply.code(204).send();
    });
    app.get('/me', async (request, reply) => {
      const found = request.session.get('benchUser');
      if (found === undefined) return reply.code(401).send(UNAUTHENTICATED);
      return { user: found };
    });
    close = async () => {
      await client.quit();
    };
  } else {
    const { cloakroom } = await import('cloakroom/fastify');
    const built = await redisStore(users, kind === 'cloakroom-near-cache');
    const manager = benchManager(built.store);
    const issued = await manager.create(SEED_USER_ID, { userAgent: 'autocannon', ip: '127.0.0.1' });
    cookie = `${manager.cookieName}=${issued.token}`;
    await app.register(cloakroom, { sessions: manager });
    app.get('/me', async (request, reply) => {
      const found = request.cloakroom.user as BenchUser | null;
      if (found === null) return reply.code(401).send(UNAUTHENTICATED);
      return { user: found };
    });
    close = built.close;
  }
  await app.ready();
  const listener = handler as RequestListener | null;
  if (listener === null) throw new Error('Fastify did not hand over its request handler');
  return {
    listener,
    cookie,
    close: async () => {
      await app.close();
      await close();
    },
  };
}

/** Hono 4 on @hono/node-server's request listener: bare, or Cloakroom's middleware on Redis (± near-cache). */
export async function honoSite(
  users: UserDatabase,
  kind: 'bare' | 'cloakroom-redis' | 'cloakroom-near-cache',
  redisStore: RedisStoreFactory,
): Promise<FrameworkSite> {
  const hono = await importOptional<typeof import('hono')>('hono');
  const nodeServer = await importOptional<typeof import('@hono/node-server')>('@hono/node-server');
  if (hono === null) throw new Error(missingPackage('hono'));
  if (nodeServer === null) throw new Error(missingPackage('@hono/node-server'));
  const user = seedUser(users);
  if (kind === 'bare') {
    const app = new hono.Hono();
    app.get('/me', (c) => c.json({ user }));
    const listener = nodeServer.getRequestListener(app.fetch);
    return {
      listener: (req, res) => void listener(req, res),
      cookie: '',
      close: () => Promise.resolve(),
    };
  }
  const { cloakroom } = await import('cloakroom/hono');
  const built = await redisStore(users, kind === 'cloakroom-near-cache');
  const manager = benchManager(built.store);
  const issued = await manager.create(SEED_USER_ID, { userAgent: 'autocannon', ip: '127.0.0.1' });
  const app = new hono.Hono<import('cloakroom/hono').SessionEnv<BenchUser>>();
  app.use(cloakroom(manager));
  app.get('/me', (c) => {
    const found = c.var.session.user;
    return found === null ? c.json(UNAUTHENTICATED, 401) : c.json({ user: found });
  });
  const listener = nodeServer.getRequestListener(app.fetch);
  return {
    listener: (req, res) => void listener(req, res),
    cookie: `${manager.cookieName}=${issued.token}`,
    close: built.close,
  };
}
