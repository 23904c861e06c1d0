/**
 * One HTTP scenario's server, in its own process: `node server.js <scenario id>`, forked by the bench with
 * an IPC channel. It builds its world (users in SQLite, sessions or keys, the peer's own setup), signs the
 * bench user in the way that stack does, listens on a free loopback port and sends
 * `{ type: 'ready', url, cookie }` (or `{ type: 'failed', message }`). It answers `{ type: 'cpu' }` with its
 * CPU time and exits on `{ type: 'stop' }`, SIGTERM or when the parent goes away.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseCookie } from 'cookie';
import { jwtVerify } from 'jose';
import { sendSessionError, sessionOfNode } from 'cloakroom/node';
import { EndBatch } from '../../app/http/end-batch.js';
import type { SessionStore } from 'cloakroom/stores';
import { importOptional, missingPackage } from '../optional.js';
import { createBetterAuthSite } from '../peers/better-auth.js';
import { createExpressSessionSite } from '../peers/express-session.js';
import { IRON_COOKIE, ironPassword } from '../peers/iron.js';
import {
  benchManager,
  connectRedis,
  deleteKeys,
  jwtKeys,
  openUserDatabase,
  redisUrl,
  runPrefix,
  SEED_USER_ID,
  signSeedJwt,
  liveClaims,
  USERS_TABLE,
  type BenchUser,
  type UserDatabase,
} from '../world.js';
import { fastifySite, honoSite } from './frameworks.js';
import { BASELINE_ID, httpScenario } from './scenarios.js';
import { referenceSite } from './site.js';

interface Built {
  listener: RequestListener;
  /** The Cookie header that signs the bench user in. */
  cookie: string;
  close(): Promise<void>;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/**
 * How the node:http servers end their answers (`CLOAKROOM_BENCH_WRITES`): `batched` (the default) ends the
 * answers of one event-loop turn together, as the reference site does; `immediate` ends each at once. Every
 * node:http server of a run, the bare baseline included, writes the same way (docs/benchmarks.md, "Socket
 * writes on a two-core loopback").
 */
const batch = process.env.CLOAKROOM_BENCH_WRITES === 'immediate' ? null : new EndBatch();

function finish(res: ServerResponse, body: string): void {
  if (batch === null) res.end(body);
  else batch.end(res, body);
}

function sendUser(res: ServerResponse, user: { id: string; email: string; name: string } | null): void {
  if (user === null) {
    const body = '{"error":{"code":"unauthenticated","message":"Sign in."}}';
    res.writeHead(401, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) });
    finish(res, body);
    return;
  }
  const body = JSON.stringify({ user: { id: user.id, email: user.email, name: user.name } });
  res.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) });
  finish(res, body);
}

function fail(res: ServerResponse, error: unknown): void {
  if (sendSessionError(res, error)) return;
  res.writeHead(500, JSON_HEADERS);
  res.end('{"error":{"code":"internal","message":"Internal error."}}');
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  return headers;
}

async function cloakroomOnNode(
  users: UserDatabase,
  kind: 'sqlite' | 'sqlite-near-cache' | 'redis' | 'near-cache',
): Promise<Built> {
  let store: SessionStore<BenchUser>;
  let close = (): Promise<void> => Promise.resolve();
  if (kind === 'sqlite' || kind === 'sqlite-near-cache') {
    const { SqliteStore } = await import('cloakroom/stores/sqlite');
    const sqlite = new SqliteStore<BenchUser>(users.db, {
      users: { table: USERS_TABLE, columns: ['id', 'email', 'name'] },
    });
    store = sqlite;
    if (kind === 'sqlite-near-cache') {
      // As the site runs with CLOAKROOM_NEAR_CACHE=on and no Redis: evictions travel through the file.
      const { CachedStore, SqliteInvalidator } = await import('cloakroom/stores/cached');
      const cached = await CachedStore.create(sqlite, { invalidator: new SqliteInvalidator(users.db) });
      store = cached;
      close = () => cached.close();
    }
  } else {
    const built = await redisStore(users, kind === 'near-cache');
    store = built.store;
    close = built.close;
  }
  const manager = benchManager(store);
  const issued = await manager.create(SEED_USER_ID, { userAgent: 'autocannon', ip: '127.0.0.1' });
  return {
    cookie: `${manager.cookieName}=${issued.token}`,
    listener: (req, res) => {
      sessionOfNode(manager, req, res).then(
        (session) => {
          sendUser(res, session.user);
        },
        (error: unknown) => {
          fail(res, error);
        },
      );
    },
    close,
  };
}

async function redisStore(
  users: UserDatabase,
  nearCache: boolean,
): Promise<{ store: SessionStore<BenchUser>; close: () => Promise<void> }> {
  const redis = await connectRedis();
  if (redis instanceof Error) throw redis;
  const prefix = runPrefix();
  const { RedisStore } = await import('cloakroom/stores/redis');
  const inner = new RedisStore<BenchUser>(redis, { prefix, users: true });
  const user = users.loadUser(SEED_USER_ID);
  if (user === null) throw new Error('the bench user is missing');
  await inner.setUser(user.id, user);
  let store: SessionStore<BenchUser> = inner;
  let closeCache = (): Promise<void> => Promise.resolve();
  if (nearCache) {
    const { CachedStore, RedisInvalidator } = await import('cloakroom/stores/cached');
    const cached = await CachedStore.create(inner, {
      invalidator: new RedisInvalidator(redis, { channel: `${prefix}invalidate` }),
    });
    store = cached;
    closeCache = () => cached.close();
  }
  return {
    store,
    close: async () => {
      await closeCache();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

/** The reference point: the cookie's value looked up in an in-process `Map` (no signature, no hash). */
function calibrationMap(users: UserDatabase): Built {
  const user = users.loadUser(SEED_USER_ID);
  if (user === null) throw new Error('the bench user is missing');
  const id = randomBytes(16).toString('base64url');
  const sessions = new Map<string, { user: BenchUser }>([[id, { user }]]);
  return {
    cookie: `sid=${id}`,
    listener: (req, res) => {
      const sid = parseCookie(req.headers.cookie ?? '').sid;
      sendUser(res, (sid === undefined ? undefined : sessions.get(sid))?.user ?? null);
    },
    close: () => Promise.resolve(),
  };
}

/** The other reference point: one Redis `GET` per request of the user as JSON, by the cookie's value. */
async function calibrationRedisGet(users: UserDatabase): Promise<Built> {
  const redis = await connectRedis();
  if (redis instanceof Error) throw redis;
  const user = users.loadUser(SEED_USER_ID);
  if (user === null) throw new Error('the bench user is missing');
  const prefix = runPrefix();
  const id = randomBytes(16).toString('base64url');
  await redis.set(`${prefix}${id}`, JSON.stringify(user));
  return {
    cookie: `sid=${id}`,
    listener: (req, res) => {
      const sid = parseCookie(req.headers.cookie ?? '').sid;
      if (sid === undefined) {
        sendUser(res, null);
        return;
      }
      redis.get(`${prefix}${sid}`).then(
        (json) => {
          sendUser(res, json === null ? null : (JSON.parse(json) as BenchUser));
        },
        (error: unknown) => {
          fail(res, error);
        },
      );
    },
    close: async () => {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

async function jwtOnNode(users: UserDatabase, alg: 'EdDSA' | 'HS256'): Promise<Built> {
  const keys = await jwtKeys(alg);
  const token = await signSeedJwt(keys, liveClaims(SEED_USER_ID));
  return {
    cookie: `token=${token}`,
    listener: (req, res) => {
      const value = parseCookie(req.headers.cookie ?? '').token;
      if (value === undefined) {
        sendUser(res, null);
        return;
      }
      jwtVerify(value, keys.verify, { algorithms: [alg] }).then(
        ({ payload }) => {
          sendUser(res, users.loadUser(payload.sub ?? ''));
        },
        () => {
          sendUser(res, null);
        },
      );
    },
    close: () => Promise.resolve(),
  };
}

async function express(
  users: UserDatabase,
  kind: 'bare' | 'cloakroom-redis' | 'express-session',
): Promise<Built> {
  const module = await importOptional<{ default: typeof import('express') }>('express');
  if (module === null) throw new Error(missingPackage('express'));
  const seedUser = users.loadUser(SEED_USER_ID);
  if (seedUser === null) throw new Error('the bench user is missing');
  if (kind === 'bare') {
    const app = module.default();
    app.disable('x-powered-by');
    app.get('/me', (_req, res) => {
      res.json({ user: seedUser });
    });
    return { listener: app, cookie: '', close: () => Promise.resolve() };
  }
  if (kind === 'cloakroom-redis') {
    const { cloakroom, cloakroomErrors, sessionOf } = await import('cloakroom/express');
    const { store, close } = await redisStore(users, false);
    const manager = benchManager(store);
    const issued = await manager.create(SEED_USER_ID, { userAgent: 'autocannon', ip: '127.0.0.1' });
    const app = module.default();
    app.disable('x-powered-by');
    app.use(cloakroom(manager));
    app.get('/me', (req, res) => {
      const user = sessionOf<BenchUser>(req).user;
      if (user === null) res.status(401).json({ error: { code: 'unauthenticated', message: 'Sign in.' } });
      else res.json({ user });
    });
    app.use(cloakroomErrors());
    return { listener: app, cookie: `${manager.cookieName}=${issued.token}`, close };
  }
  const prefix = runPrefix();
  const site = await createExpressSessionSite(seedUser, redisUrl(), prefix);
  site.app.get('/me', (req, res) => {
    const user = site.userOf(req);
    if (user === null) res.status(401).json({ error: { code: 'unauthenticated', message: 'Sign in.' } });
    else res.json({ user });
  });
  return {
    listener: site.app,
    cookie: '', // set after listening, from POST /login
    close: async () => {
      const redis = await connectRedis();
      if (!(redis instanceof Error)) {
        await deleteKeys(redis, prefix);
        redis.disconnect();
      }
      await site.close();
    },
  };
}

/** @fastify/session on Redis, its keys under the run's prefix, removed at the end. */
async function fastifySessionSite(users: UserDatabase): Promise<Built> {
  const prefix = runPrefix();
  const site = await fastifySite(users, 'fastify-session', redisStore, prefix);
  return {
    ...site,
    close: async () => {
      await site.close();
      const redis = await connectRedis();
      if (!(redis instanceof Error)) {
        await deleteKeys(redis, prefix);
        redis.disconnect();
      }
    },
  };
}

async function ironSession(users: UserDatabase): Promise<Built> {
  const iron = await importOptional<typeof import('iron-session')>('iron-session');
  if (iron === null) throw new Error(missingPackage('iron-session'));
  const options = { password: ironPassword(), cookieName: IRON_COOKIE };
  const sealed = await iron.sealData({ userId: SEED_USER_ID }, { password: options.password });
  return {
    cookie: `${IRON_COOKIE}=${sealed}`,
    listener: (req, res) => {
      iron.getIronSession<{ userId?: string }>(req, res, options).then(
        (session) => {
          sendUser(res, session.userId === undefined ? null : users.loadUser(session.userId));
        },
        (error: unknown) => {
          fail(res, error);
        },
      );
    },
    close: () => Promise.resolve(),
  };
}

async function betterAuth(users: UserDatabase, variant: 'sqlite' | 'cookie-cache' | 'redis'): Promise<Built> {
  let redis = null;
  const prefix = runPrefix();
  if (variant === 'redis') {
    const connected = await connectRedis();
    if (connected instanceof Error) throw connected;
    redis = connected;
  }
  const site = await createBetterAuthSite(variant, `${users.dir}/better-auth.db`, redis, prefix);
  return {
    cookie: site.cookie,
    listener: (req, res) => {
      site.getSession(headersOf(req)).then(
        (session) => {
          sendUser(res, session === null ? null : session.user);
        },
        (error: unknown) => {
          fail(res, error);
        },
      );
    },
    close: async () => {
      site.close();
      if (redis !== null) {
        await deleteKeys(redis, prefix);
        redis.disconnect();
      }
    },
  };
}

async function build(id: string, users: UserDatabase): Promise<Built> {
  switch (id) {
    case BASELINE_ID: {
      const user = users.loadUser(SEED_USER_ID);
      const body = JSON.stringify({ user });
      return {
        cookie: '',
        listener: (_req, res) => {
          res.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) });
          finish(res, body);
        },
        close: () => Promise.resolve(),
      };
    }
    case 'calibration-map':
      return calibrationMap(users);
    case 'calibration-redis-get':
      return calibrationRedisGet(users);
    case 'cloakroom-sqlite':
      return cloakroomOnNode(users, 'sqlite');
    case 'cloakroom-sqlite-near-cache':
      return cloakroomOnNode(users, 'sqlite-near-cache');
    case 'cloakroom-redis':
      return cloakroomOnNode(users, 'redis');
    case 'cloakroom-near-cache':
      return cloakroomOnNode(users, 'near-cache');
    case 'jwt-eddsa-user':
      return jwtOnNode(users, 'EdDSA');
    case 'jwt-hs256-user':
      return jwtOnNode(users, 'HS256');
    case 'express-bare':
      return express(users, 'bare');
    case 'express-cloakroom-redis':
      return express(users, 'cloakroom-redis');
    case 'express-session-redis':
      return express(users, 'express-session');
    case 'fastify-bare':
      return fastifySite(users, 'bare', redisStore, runPrefix());
    case 'fastify-cloakroom-redis':
      return fastifySite(users, 'cloakroom-redis', redisStore, runPrefix());
    case 'fastify-cloakroom-near-cache':
      return fastifySite(users, 'cloakroom-near-cache', redisStore, runPrefix());
    case 'fastify-session-redis':
      return fastifySessionSite(users);
    case 'hono-bare':
      return honoSite(users, 'bare', redisStore);
    case 'hono-cloakroom-redis':
      return honoSite(users, 'cloakroom-redis', redisStore);
    case 'hono-cloakroom-near-cache':
      return honoSite(users, 'cloakroom-near-cache', redisStore);
    case 'iron-session':
      return ironSession(users);
    case 'better-auth-sqlite':
      return betterAuth(users, 'sqlite');
    case 'site-sqlite':
      return referenceSite(false);
    case 'site-sqlite-observed':
      return referenceSite(true);
    case 'better-auth-cookie-cache':
      return betterAuth(users, 'cookie-cache');
    case 'better-auth-redis':
      return betterAuth(users, 'redis');
    default:
      throw new Error(`unknown scenario ${id}`);
  }
}

async function main(): Promise<void> {
  const id = process.argv[2] ?? '';
  if (httpScenario(id) === undefined) throw new Error(`unknown scenario ${JSON.stringify(id)}`);
  const users = await openUserDatabase();
  const built = await build(id, users);
  const server = createServer(built.listener);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${String(port)}/me`;
  let cookie = built.cookie;
  if (id === 'express-session-redis' || id === 'fastify-session-redis') {
    const login = await fetch(`http://127.0.0.1:${String(port)}/login`, { method: 'POST' });
    const { cookieHeaderOf } = await import('../peers/better-auth.js');
    cookie = cookieHeaderOf(login.headers);
    if (cookie === '') throw new Error(`${id} set no cookie at POST /login`);
  }

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 5_000).unref();
    server.closeAllConnections();
    server.close();
    built
      .close()
      .catch(() => undefined)
      .finally(() => {
        users.close();
        process.exit(0);
      });
  };
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
    else if (message.type === 'stop') stop();
  });
  process.on('disconnect', stop);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.send?.({ type: 'ready', url, cookie });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (process.send === undefined) console.error(message);
  else process.send({ type: 'failed', message });
  setTimeout(() => process.exit(1), 100);
});
