// The reference site as `npm start` runs it (`cloakroom serve`), in a child process: for tests that need
// several processes of the site at once.
import { spawn, type ChildProcess } from 'node:child_process';

export interface SiteProcess {
  url: string;
  child: ChildProcess;
}

/** Starts `cloakroom serve --port 0` with `env` added; resolves once it prints the URL it listens on. */
export function serveSite(env: Record<string, string>): Promise<SiteProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/app/src/cli/main.ts', 'serve', '--port', '0'],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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

/**
 * Signs in on `a` `trials` times; each time both processes validate (and so cache) the session, `b`
 * signs it out, and `a` is polled until it refuses it. Resolves to the delays in ms, from `b`'s 204 to
 * `a`'s first 401, sorted: a figure to report, not to bound. Fails a trial that `a` still accepts after
 * `failAfterMs` (10 s): far above any delay seen under load, and far below the near-cache's 30 s entry
 * lifetime, so a refusal in time can only come from the eviction `b` sent.
 */
export async function signOutDelays(
  a: SiteProcess,
  b: SiteProcess,
  origin: string,
  credentials: { email: string; password: string },
  trials = 20,
  failAfterMs = 10_000,
): Promise<number[]> {
  const call = (site: SiteProcess, path: string, init?: Parameters<typeof siteCall>[3]) =>
    siteCall(site, origin, path, init);
  const delays: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const login = await call(a, '/api/auth/login', { method: 'POST', json: credentials });
    if (login.status !== 200)
      throw new Error(`trial ${String(trial)}: sign-in answered ${String(login.status)}`);
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    for (const site of [a, b, a, b]) {
      const me = await call(site, '/api/me', { cookie });
      if (me.status !== 200) throw new Error(`trial ${String(trial)}: /api/me answered ${String(me.status)}`);
    }
    const out = await call(b, '/api/auth/logout', { method: 'POST', cookie });
    if (out.status !== 204)
      throw new Error(`trial ${String(trial)}: sign-out answered ${String(out.status)}`);
    const signedOutAt = performance.now();
    let refused = false;
    while (!refused && performance.now() - signedOutAt < failAfterMs) {
      refused = (await call(a, '/api/me', { cookie })).status === 401;
    }
    if (!refused) {
      throw new Error(
        `trial ${String(trial)}: A still accepted the session ${String(failAfterMs)} ms after the sign-out`,
      );
    }
    delays.push(performance.now() - signedOutAt);
  }
  return delays.sort((x, y) => x - y);
}
