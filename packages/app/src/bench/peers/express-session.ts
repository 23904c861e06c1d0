/**
 * express-session as its README sets it up, for the sizes and the HTTP scenarios: `POST /login` puts the
 * user's data in the session (on its default MemoryStore, or on Redis through connect-redis and a
 * node-redis client), and later requests read it from `req.session`.
 */
import type { Express, Request } from 'express';
import { importOptional, missingPackage } from '../optional.js';
import type { BenchUser } from '../world.js';

type ExpressModule = typeof import('express');
type SessionModule = typeof import('express-session');

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

export interface ExpressSessionSite {
  app: Express;
  /** Reads the bench user's data from the request's session (`null` when signed out). */
  userOf(req: Request): BenchUser | null;
  close(): Promise<void>;
}

/** The secret express-session signs its cookie with (its README: a long random string). */
const SECRET = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

/**
 * An Express 5 app with express-session; `redisUrl` puts the sessions in Redis (connect-redis, keys under
 * `prefix`). `POST /login` signs `user` in.
 */
export async function createExpressSessionSite(
  user: BenchUser,
  redisUrl: string | null,
  prefix = 'crbench:express-session:',
): Promise<ExpressSessionSite> {
  const express = await importOptional<{ default: ExpressModule }>('express');
  if (express === null) throw new Error(missingPackage('express'));
  const session = await importOptional<{ default: SessionModule }>('express-session');
  if (session === null) throw new Error(missingPackage('express-session'));
  let store: unknown;
  let close = (): Promise<void> => Promise.resolve();
  if (redisUrl !== null) {
    const connectRedis = await importOptional<ConnectRedisModule>('connect-redis');
    const nodeRedis = await importOptional<NodeRedisModule>('redis');
    if (connectRedis === null) throw new Error(missingPackage('connect-redis'));
    if (nodeRedis === null) throw new Error(missingPackage('redis'));
    const client = nodeRedis.createClient({ url: redisUrl });
    client.on('error', () => undefined);
    await client.connect();
    store = new connectRedis.RedisStore({ client, prefix });
    close = async () => {
      await client.quit();
    };
  }
  const app = express.default();
  app.disable('x-powered-by');
  app.use(
    session.default({
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, secure: false, sameSite: 'lax' },
      ...(store === undefined ? {} : { store: store as import('express-session').Store }),
    }),
  );
  app.post('/login', (req, res) => {
    (req.session as unknown as { user: BenchUser }).user = user;
    res.status(204).end();
  });
  return {
    app,
    userOf: (req) => (req.session as unknown as { user?: BenchUser }).user ?? null,
    close,
  };
}
