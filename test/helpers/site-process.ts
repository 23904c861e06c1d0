// The reference site as `npm start` runs it (`cloakroom serve`), in a child process: for tests that need
// several processes of the site at once.
import { spawn, type ChildProcess } from 'node:child_process';

export interface SiteProcess {
  url: string;
  child: ChildProcess;
}

/** Starts `cloakroom serve --port 0` with `env` added; resolves once it prints the URL it listens on. */
export function serveSite(env: Record<string, string>): Promise<SiteProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s,)]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`exited with ${String(code)}: ${output}`)));
  });
}

/** SIGTERM, then waits for the exit (nothing to do when it has already exited). */
export async function stopSite(site: SiteProcess | undefined): Promise<void> {
  if (site === undefined || site.child.exitCode !== null || site.child.signalCode !== null) return;
  const exited = new Promise((resolve) => site.child.once('exit', resolve));
  site.child.kill('SIGTERM');
  await exited;
}

/** A request to the site as a same-origin browser script would make it (`Origin` set, JSON body). */
export function siteCall(
  site: SiteProcess,
  origin: string,
  path: string,
  init: { method?: string; cookie?: string; json?: unknown } = {},
): Promise<Response> {
  return fetch(site.url + path, {
    method: init.method ?? 'GET',
    headers: {
      origin,
      ...(init.cookie ? { cookie: init.cookie } : {}),
      ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
}
