// Running `cloakroom admin …` in a child process against a site running in this process, on each of the
// site's session backends: SQLite (the data folder), Redis (CLOAKROOM_STORE, on a database number of its own
// so the statistics see only this suite's sessions), PostgreSQL (CLOAKROOM_DATABASE_URL, in a fresh schema
// per test file) and Redis behind the near-cache (CLOAKROOM_NEAR_CACHE=on: the admin process evicts the
// site's cached sessions over Redis pub/sub, as the site's own processes do).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  DATABASE_URL,
  unreachable as postgresUnreachable,
} from '../../../cloakroom/test/stores/postgres-support.js';
import type { ApiClient } from '../app/api/client.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { forgetLoopbackRegistrations } from '../helpers/redis-throttle.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'packages/app/src/cli/main.ts', 'admin'];

/** Redis database 11: the admin tests' own, so `admin stats` counts no other suite's sessions. */
export const REDIS_URL = `${(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/11`;

export interface Backend {
  /** The suite's name for it. */
  name: 'sqlite' | 'redis' | 'postgres' | 'redis near-cache';
  /** Where the sessions live, as `admin stats` names it. */
  store: 'sqlite' | 'redis' | 'postgres';
  /** Whether the near-cache is on (`CLOAKROOM_NEAR_CACHE=on`), in the site and in the admin process. */
  nearCache: boolean;
  env: Record<string, string>;
  skip: false | string;
  /** The PostgreSQL schema the site's tables live in (the `postgres` backend). */
  schema?: string;
}

async function redisProblem(): Promise<string | null> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    redis.disconnect();
  }
}

/**
 * SQLite always; Redis, PostgreSQL and Redis behind the near-cache when their server answers (and always under
 * CI=true, where a missing server fails).
 */
export async function backends(file: string): Promise<Backend[]> {
  const skipOf = (service: string, problem: string | null): false | string => {
    if (problem === null) return false;
    if (process.env.CI === 'true') throw new Error(`${service} not reachable on CI: ${problem}`);
    const skip = `${service} not reachable (${problem})`;
    console.warn(`# SKIPPED the ${service} half of ${file}: ${skip}`);
    return skip;
  };
  const redisSkip = skipOf('Redis', await redisProblem());
  const postgresSkip = skipOf('PostgreSQL', postgresUnreachable);
  const schema = `cr_admin_${randomBytes(5).toString('hex')}`;
  return [
    { name: 'sqlite', store: 'sqlite', nearCache: false, env: {}, skip: false },
    { name: 'redis', store: 'redis', nearCache: false, env: { CLOAKROOM_STORE: REDIS_URL }, skip: redisSkip },
    {
      name: 'postgres',
      store: 'postgres',
      nearCache: false,
      env: { CLOAKROOM_DATABASE_URL: `${DATABASE_URL}?options=-c%20search_path%3D${schema}` },
      skip: postgresSkip,
      schema,
    },
    {
      name: 'redis near-cache',
      store: 'redis',
      nearCache: true,
      env: { CLOAKROOM_STORE: REDIS_URL, CLOAKROOM_NEAR_CACHE: 'on' },
      skip: redisSkip,
    },
  ];
}

/**
 * The site on `backend`, in this process; the admin command line reaches it through the same environment.
 * On PostgreSQL its schema is made first and dropped when the site stops.
 */
export async function startSite(backend: Backend): Promise<TestApp> {
  if (backend.store === 'redis') await forgetLoopbackRegistrations(REDIS_URL);
  const { schema } = backend;
  if (schema === undefined) return startTestApp({ env: backend.env });
  const pool = new pg.Pool({ connectionString: DATABASE_URL });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  try {
    const app = await startTestApp({ env: backend.env });
    return {
      ...app,
      stop: async () => {
        try {
          await app.stop();
        } finally {
          await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
          await pool.end();
        }
      },
    };
  } catch (error) {
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
    throw error;
  }
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * `cloakroom admin <args>` with the site's environment (its data folder, origin and store). Its stdin is not
 * a terminal (execFile gives it a pipe), as in a script.
 */
export async function admin(app: TestApp, backend: Backend, args: string[]): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('CLOAKROOM_')) delete env[name];
  Object.assign(env, { CLOAKROOM_DATA_DIR: app.dataDir, CLOAKROOM_ORIGIN: app.origin }, backend.env);
  try {
    const { stdout, stderr } = await run(process.execPath, [...CLI, ...args], { env });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: unknown; stdout: string; stderr: string };
    if (typeof failed.code !== 'number') throw error;
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Runs `admin … --json`, asserts exit 0, and parses stdout. */
export async function adminJson(app: TestApp, backend: Backend, args: string[]): Promise<unknown> {
  const result = await admin(app, backend, [...args, '--json']);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as unknown;
}

/** Asserts a refusal: the exit code and one line on stderr matching `message`, no stack trace. */
export function assertRefused(result: CliResult, status: number, message: RegExp): void {
  assert.equal(result.status, status, `exit ${result.status}: ${result.stderr}${result.stdout}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
}

/**
 * `cloakroom admin <args>` on a terminal (a pseudo-terminal from util-linux `script`), answering `answer` to
 * its confirmation prompt once it shows. Resolves to the exit code and everything the terminal showed.
 */
export async function adminOnTerminal(
  app: TestApp,
  backend: Backend,
  args: string[],
  answer: string,
): Promise<{ status: number; output: string }> {
  const { spawn } = await import('node:child_process');
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('CLOAKROOM_')) delete env[name];
  Object.assign(env, { CLOAKROOM_DATA_DIR: app.dataDir, CLOAKROOM_ORIGIN: app.origin }, backend.env);
  const command = [process.execPath, ...CLI, ...args].map((word) => `'${word}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answered = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within 30 s: ${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && output.includes('[y/N]')) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, output });
    });
  });
}

/**
 * Asserts what `GET /api/me` answers `client` (200 signed in, 401 refused), naming the client and quoting the
 * body, so a failure says which client saw what.
 */
export async function assertMe(client: ApiClient, status: 200 | 401, who: string): Promise<void> {
  const me = await client.get('/api/me');
  assert.equal(me.status, status, `${who}: GET /api/me answered ${String(me.status)} ${me.text}`);
}
