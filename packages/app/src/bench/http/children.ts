/**
 * The HTTP scenarios' servers, each in its own process (server.ts forked with an IPC channel), so no server
 * shares an event loop with the load generator or with another server. A child reports where it listens
 * and the Cookie header that signs its user in, answers `{ type: 'cpu' }` with its CPU time, and exits on
 * `{ type: 'stop' }` or when this process goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CpuUsage {
  user: number;
  system: number;
}

export interface ServerChild {
  scenario: string;
  process: ChildProcess;
  url: string;
  /** The Cookie header that signs the bench user in ('' for the baselines). */
  cookie: string;
  exited: Promise<void>;
  hasExited(): boolean;
}

export type ChildMessage =
  | { type: 'ready'; url: string; cookie: string }
  | { type: 'failed'; message: string }
  | { type: 'cpu'; usage: CpuUsage };

/** The server entry beside this file, as .ts under tsx (a checkout) or .js (the built package). */
function serverEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const extension = extname(here);
  const file = fileURLToPath(new URL(`./server${extension}`, import.meta.url));
  return { file, execArgv: extension === '.ts' ? ['--import', import.meta.resolve('tsx')] : [] };
}

/** Starts the server of `scenario`; rejects with the child's own reason when it cannot (a missing peer). */
export function startServerChild(scenario: string, env: Record<string, string>): Promise<ServerChild> {
  const { file, execArgv } = serverEntry();
  const child = fork(file, [scenario], {
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString('utf8');
  });
  let exited = false;
  const record: ServerChild = {
    scenario,
    process: child,
    url: '',
    cookie: '',
    exited: new Promise<void>((resolve) => {
      child.once('exit', () => {
        exited = true;
        resolve();
      });
    }),
    hasExited: () => exited,
  };
  return new Promise<ServerChild>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${scenario} server did not start within 90 s`));
    }, 90_000);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        record.url = message.url;
        record.cookie = message.cookie;
        resolve(record);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(message.message));
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const detail = stderr.trim().split('\n').slice(-3).join(' | ');
      reject(new Error(`the ${scenario} server exited (code ${String(code)})${detail ? `: ${detail}` : ''}`));
    });
  });
}

/** The child's CPU time so far (microseconds), over IPC. */
export function childCpu(child: ServerChild): Promise<CpuUsage> {
  return new Promise<CpuUsage>((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.type !== 'cpu') return;
      clearTimeout(timer);
      child.process.off('message', onMessage);
      resolve(message.usage);
    };
    const timer = setTimeout(() => {
      child.process.off('message', onMessage);
      reject(new Error(`the ${child.scenario} server did not report its CPU time`));
    }, 5_000);
    child.process.on('message', onMessage);
    child.process.send({ type: 'cpu' });
  });
}

/** Asks the child to stop, then SIGTERM, then SIGKILL; resolves once it has exited. */
export async function stopServerChild(child: ServerChild): Promise<void> {
  if (child.hasExited()) return;
  if (child.process.connected) child.process.send({ type: 'stop' });
  else child.process.kill('SIGTERM');
  const term = setTimeout(() => child.process.kill('SIGTERM'), 5_000);
  const kill = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(term);
  clearTimeout(kill);
}
