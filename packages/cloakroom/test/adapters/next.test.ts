// The Next.js example (examples/next) as a user runs it: the library built, `next build` once (Turbopack, a
// production build), `next start` on a free port, and Chromium signing in through the route handler, opening
// the protected page, and signing out through the server action; plus what no browser shows (the proxy's
// redirect, cross-site refusals, a dead cookie). Registered in scripts/test-leg.mjs BROWSER_TESTS.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const LIBRARY = join(ROOT, 'packages/cloakroom');
const EXAMPLE = join(ROOT, 'examples/next');
const NEXT_BIN = join(ROOT, 'node_modules/next/dist/bin/next');

/** The newest modification time under `dir` (files only). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

const chromiumMissing = !existsSync(CHROMIUM);

if (chromiumMissing && process.env.CI !== 'true') {
  test('Next.js example in Chromium', (t) => {
    t.skip(
      `Chromium is not installed at ${CHROMIUM}: run scripts/ensure-chromium.sh to run the browser tests`,
    );
  });
} else {
  describe('Next.js example in Chromium (next build, next start)', () => {
    let origin: string;
    let server: ChildProcess;
    let browser: Browser;
    let output = '';

    before(async () => {
      // The example imports `cloakroom` as a user does, from the built package: build it when stale.
      const built = join(LIBRARY, 'dist/adapters/next.js');
      if (!existsSync(built) || statSync(built).mtimeMs < newest(join(LIBRARY, 'src')))
        run('npm', ['run', 'build', '-w', 'cloakroom'], ROOT);
      run(process.execPath, [NEXT_BIN, 'build'], EXAMPLE);
      const port = await freePort();
      origin = `http://127.0.0.1:${String(port)}`;
      server = spawn(process.execPath, [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
        cwd: EXAMPLE,
        env: {
          ...process.env,
          NEXT_TELEMETRY_DISABLED: '1',
          ORIGIN: origin,
          SESSION_KEY: randomBytes(32).toString('base64url'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      for (let attempt = 0; ; attempt++) {
        try {
          if ((await fetch(origin)).ok) break;
        } catch {
          // not listening yet
        }
        assert.ok(attempt < 150 && server.exitCode === null, `next start did not come up:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    });

    after(async () => {
      await browser?.close();
      server?.kill('SIGTERM');
    });

    test('sign in (route handler), the protected page, sign out (server action)', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${origin}/dashboard`);
        assert.equal(new URL(page.url()).pathname, '/', 'signed out: the proxy sends the dashboard home');
        assert.equal(await page.textContent('#status'), 'Signed out.');

        await page.fill('input[name=name]', 'ada');
        await Promise.all([page.waitForURL(`${origin}/dashboard`), page.click('button[type=submit]')]);
        assert.equal(await page.textContent('#welcome'), 'Welcome, ada.');
        const [cookie] = await context.cookies();
        assert.ok(cookie !== undefined);
        assert.equal(cookie.name, 'cloakroom');
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, 'Lax');

        await page.goto(origin);
        assert.equal(await page.textContent('#status'), 'Signed in as ada.');
        await page.goto(`${origin}/dashboard`);
        assert.equal(await page.textContent('#welcome'), 'Welcome, ada.');

        await Promise.all([page.waitForURL(`${origin}/`), page.click('button[type=submit]')]);
        assert.equal(await page.textContent('#status'), 'Signed out.');
        assert.deepEqual(
          (await context.cookies()).filter((c) => c.name === 'cloakroom'),
          [],
          'the cookie is cleared',
        );
        // The old cookie is dead on the server too: replayed, it passes the proxy's signature check but the
        // page's own session read sends it home.
        await context.addCookies([{ name: cookie.name, value: cookie.value, url: origin }]);
        await page.goto(`${origin}/dashboard`);
        assert.equal(new URL(page.url()).pathname, '/');
        assert.equal(await page.textContent('#status'), 'Signed out.');
      } finally {
        await context.close();
      }
    });

    test('a sign-in posted from another site is 403 csrf_rejected; bad input is 400', async () => {
      const post = (headers: Record<string, string>, body: string) =>
        fetch(`${origin}/api/sign-in`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body,
          redirect: 'manual',
        });
      const refused = await post(
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        'name=eve',
      );
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'csrf_rejected');
      assert.deepEqual(refused.headers.getSetCookie(), []);
      const bad = await post({ origin }, 'name=');
      assert.equal(bad.status, 400);
      const ok = await post({ origin, 'sec-fetch-site': 'same-origin' }, 'name=bob');
      assert.equal(ok.status, 303);
      assert.equal(ok.headers.get('location'), '/dashboard');
      assert.match(ok.headers.getSetCookie()[0] ?? '', /^cloakroom=[\w-]+\.[\w-]+\.[\w-]+; .*HttpOnly/);
    });
  });
}
