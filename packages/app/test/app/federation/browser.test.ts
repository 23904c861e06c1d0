// OpenID Connect sign-in in a real browser: Debian's headless Chromium (playwright-core) clicks "Sign in with
// Test provider" on the site, signs in on the provider's own page (a real oidc-provider), and lands signed in
// on the site; a password user links the provider from "Your sessions". Screenshots of each step land in
// test-results/screenshots/ (git-ignored), prefixed "federation-".
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestApp } from '../../helpers/app.js';
import { TestOidcProvider } from '../../../../cloakroom/test/helpers/oidc-provider.js';
import { CLIENT_SECRET, PROVIDER_ID, siteOrigin, startSiteWithProviders } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];
const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/screenshots/', import.meta.url));
const chromiumMissing = !existsSync(CHROMIUM);

if (chromiumMissing && process.env.CI !== 'true') {
  test('federation in Chromium', (t) => {
    t.skip(`Chromium is not installed at ${CHROMIUM}: run scripts/start-services.sh to install it`);
  });
} else {
  describe('federation in Chromium', () => {
    let provider: TestOidcProvider;
    let app: TestApp;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const cspViolations: string[] = [];

    before(async () => {
      if (chromiumMissing) throw new Error(`CI=true and Chromium is missing at ${CHROMIUM}`);
      mkdirSync(SCREENSHOTS, { recursive: true });
      const site = await siteOrigin();
      provider = await TestOidcProvider.start({
        clients: [
          {
            clientId: 'cloakroom-site',
            clientSecret: CLIENT_SECRET,
            redirectUris: [`${site.origin}/auth/oidc/${PROVIDER_ID}/callback`],
          },
        ],
      });
      provider.accounts.set('ada', {
        sub: 'ada',
        email: 'ada@example.com',
        email_verified: true,
        name: 'Ada',
      });
      provider.accounts.set('grace', { sub: 'grace', email: 'grace-idp@example.com', email_verified: true });
      app = await startSiteWithProviders(site, [
        {
          id: PROVIDER_ID,
          issuer: provider.issuer,
          clientId: 'cloakroom-site',
          clientSecret: CLIENT_SECRET,
          label: 'Test provider',
        },
      ]);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    });

    after(async () => {
      for (const context of contexts) await context.close();
      await browser?.close();
      await app?.stop();
      await provider?.close();
    });

    async function newPage(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
      contexts.push(context);
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
      });
      return page;
    }

    let shots = 0;
    async function snap(page: Page, name: string): Promise<void> {
      shots += 1;
      await page.screenshot({
        path: `${SCREENSHOTS}federation-${String(shots).padStart(2, '0')}-${name}.png`,
        fullPage: true,
      });
    }

    const pathOf = (page: Page) => new URL(page.url()).pathname + new URL(page.url()).search;

    test('a new person signs in through the provider’s pages and lands signed in', async () => {
      const page = await newPage();
      await page.goto(`${app.origin}/sign-in`);
      await snap(page, 'sign-in-with-provider-button');
      await page.getByRole('link', { name: 'Sign in with Test provider' }).click();
      await page.waitForURL((url) => url.origin === provider.issuer);
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Test provider');
      await page.getByLabel('Account').fill('ada');
      await snap(page, 'provider-sign-in');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(`${app.origin}/notes`);
      assert.match(await page.locator('.account .who').innerText(), /ada@example\.com/);
      await snap(page, 'signed-in-via-provider');

      await page.goto(`${app.origin}/sessions`);
      const methods = page.locator('section[aria-labelledby="methods-heading"]');
      assert.match(await methods.innerText(), /Test provider/);
      assert.match(await methods.innerText(), /Your only way to sign in/);
      await snap(page, 'sign-in-methods-password-less');
      // Cookies are per host, not per port: the provider's own (`_session`…) share 127.0.0.1 here.
      const cookies = (await page.context().cookies(app.origin)).filter((c) => !c.name.startsWith('_'));
      assert.deepEqual(
        cookies.map((cookie) => cookie.name),
        ['cloakroom'],
        'only the session cookie remains (the pre-login cookie is gone)',
      );
      assert.ok(
        (await page.context().cookies()).every((cookie) => !cookie.value.startsWith('eyJ')),
        'no provider token in any cookie',
      );
      assert.equal(cookies[0]?.httpOnly, true);
    });

    test('a password user links the provider from “Your sessions”', async () => {
      const page = await newPage();
      await page.goto(`${app.origin}/register`);
      await page.getByLabel('Email', { exact: true }).fill('grace@example.com');
      await page.getByLabel('Password', { exact: true }).fill('a long enough passphrase');
      await page.locator('main').getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(/\/notes/);
      await page.goto(`${app.origin}/sessions`);
      await page.getByRole('button', { name: 'Link Test provider' }).click();
      await page.waitForURL((url) => url.origin === provider.issuer);
      await page.getByLabel('Account').fill('grace');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(`${app.origin}/sessions?notice=provider-linked`);
      assert.equal(pathOf(page), '/sessions?notice=provider-linked');
      assert.match(await page.locator('main').innerText(), /Provider linked/);
      await snap(page, 'provider-linked');
      const me = (await (await page.request.get(`${app.origin}/api/me`)).json()) as {
        user: { email: string; identities: unknown };
      };
      assert.equal(me.user.email, 'grace@example.com');
      assert.deepEqual(me.user.identities, [{ provider: PROVIDER_ID, subject: 'grace' }]);
    });

    test('no Content Security Policy violation on any page', () => {
      assert.deepEqual(cspViolations, []);
    });
  });
}
