// The switch in a real browser (Debian's headless Chromium, playwright-core): a user signs in on a legacy
// Express app (express-session + connect-redis on the local Redis); the server behind the site's address is
// switched to Cloakroom with CLOAKROOM_MIGRATE_CONFIG; the next page load is signed in on Cloakroom, with no
// prompt, and the legacy cookie is gone from the browser.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { chromium, type Browser } from 'playwright-core';
import { createClient } from 'redis';
import { freePort, startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, uniqueEmail } from '../api/client.js';

declare module 'express-session' {
  interface SessionData {
    user: { email: string };
  }
}

const CHROMIUM = '/usr/bin/chromium';
const SECRET = 'legacy-express-secret-for-the-browser-test';
const chromiumMissing = !existsSync(CHROMIUM);

/** A front server at the site's address that forwards every request to whichever server is current. */
function frontServer(target: () => number): Server {
  return createServer((req, res) => {
    const upstream = request(
      { host: '127.0.0.1', port: target(), path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  });
}

if (chromiumMissing && process.env.CI !== 'true') {
  test('migration in Chromium', (t) => {
    t.skip(
      `Chromium is not installed at ${CHROMIUM}: run scripts/ensure-chromium.sh to run the browser tests`,
    );
  });
} else {
  describe('migration in Chromium: from express-session to Cloakroom without a prompt', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloakroom-migrate-browser-'));
    const prefix = `migrate-browser:${randomUUID()}:sess:`;
    const email = uniqueEmail('switch');
    let redis: ReturnType<typeof createClient>;
    let legacy: Server;
    let legacyPort: number;
    let front: Server;
    let frontPort: number;
    let app: TestApp;
    let browser: Browser;
    let current: () => number;

    before(async () => {
      redis = createClient({ url: 'redis://127.0.0.1:6379/2' });
      await redis.connect();
      const legacyApp = express();
      legacyApp.use(
        session({
          store: new ConnectRedisStore({ client: redis, prefix }),
          secret: SECRET,
          resave: false,
          saveUninitialized: false,
          cookie: { maxAge: 3600_000, httpOnly: true, sameSite: 'lax' },
        }),
      );
      legacyApp.get('/login', (req, res) => {
        req.session.user = { email: typeof req.query.email === 'string' ? req.query.email : '' };
        res.redirect('/');
      });
      legacyApp.get('/', (req, res) => {
        res.send(
          `<p id="who">${req.session.user ? `legacy: ${req.session.user.email}` : 'not signed in'}</p>`,
        );
      });
      legacyPort = await freePort();
      legacy = legacyApp.listen(legacyPort, '127.0.0.1');
      frontPort = await freePort();
      current = () => legacyPort;
      front = frontServer(() => current());
      await new Promise<void>((resolve) => front.listen(frontPort, '127.0.0.1', resolve));

      writeFileSync(
        join(dir, 'migrate.json'),
        JSON.stringify({
          sources: [
            {
              kind: 'express-session',
              cookie: 'connect.sid',
              secrets: [SECRET],
              redisUrl: 'redis://127.0.0.1:6379/2',
              prefix,
              emailField: 'user.email',
            },
          ],
        }),
      );
      app = await startTestApp({
        env: {
          CLOAKROOM_ORIGIN: `http://127.0.0.1:${frontPort}`,
          CLOAKROOM_MIGRATE_CONFIG: join(dir, 'migrate.json'),
        },
      });
      await new ApiClient(app).register(email);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
      });
    });

    after(async () => {
      await browser.close();
      await app.stop();
      front.closeAllConnections();
      front.close();
      legacy.closeAllConnections();
      legacy.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(keys);
      await redis.quit();
      rmSync(dir, { recursive: true, force: true });
    });

    test('signed in on the legacy app, then on Cloakroom after the switch, with no prompt', async () => {
      const context = await browser.newContext();
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const site = `http://127.0.0.1:${frontPort}`;
      await page.goto(`${site}/login?email=${encodeURIComponent(email)}`);
      assert.equal(await page.textContent('#who'), `legacy: ${email}`);
      assert.ok((await context.cookies()).some((cookie) => cookie.name === 'connect.sid'));

      // The switch: the same address now serves Cloakroom.
      const sitePort = Number(new URL(app.url).port);
      current = () => sitePort;
      await page.goto(`${site}/notes`);
      assert.equal(new URL(page.url()).pathname, '/notes', 'no sign-in prompt');
      assert.ok((await page.content()).includes(email), 'the page shows the signed-in user');
      const names = (await context.cookies()).map((cookie) => cookie.name);
      assert.ok(names.includes('cloakroom'), 'the Cloakroom cookie is set');
      assert.ok(!names.includes('connect.sid'), 'the legacy cookie is gone');
      assert.equal((await redis.keys(`${prefix}*`)).length, 0, 'the legacy session is destroyed');

      // And it stays signed in on the next load.
      await page.reload();
      assert.equal(new URL(page.url()).pathname, '/notes');
      await context.close();
    });
  });
}
