// Running `cloakroom admin …` in a child process against a site running in this process, on the site's two
// session backends: SQLite (the data folder) and Redis (CLOAKROOM_STORE, on a database number of its own
// so the statistics see only this suite's sessions).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { forgetLoopbackRegistrations } from '../helpers/redis-throttle.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'packages/app/src/cli/main.ts', 'admin'];

/** Redis database 11: the admin tests' own, so `admin stats` counts no other suite's sessions. */
export const REDIS_URL = `${(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/11`;

export interface Backend {
  name: 'sqlite' | 'redis';
  env: Record<string, string>;
  skip: false | string;
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

/** SQLite always; Redis when it answers (and always under CI=true, where a missing Redis fails). */
export async function backends(file: string): Promise<Backend[]> {
  const problem = await redisProblem();
  if (problem !== null && process.env.CI === 'true') throw new Error(`Redis not reachable on CI: ${problem}`);
  const skip = problem === null ? false : `Redis not reachable (${problem})`;
  if (skip !== false) console.warn(`# SKIPPED the Redis half of ${file}: ${skip}`);
  return [
    { name: 'sqlite', env: {}, skip: false },
    { name: 'redis', env: { CLOAKROOM_STORE: REDIS_URL }, skip },
  ];
}

/** The site on `backend`, in this process; the admin command line reaches it through the same environment. */
export async function startSite(backend: Backend): Promise<TestApp> {
  if (backend.name === 'redis') await forgetLoopbackRegistrations(REDIS_URL);
  return startTestApp({ env: backend.env });
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
