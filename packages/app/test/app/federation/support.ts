// Shared pieces of the site's federation tests: the site started with a provider file, and a "browser"
// that keeps cookies per host and follows the sign-in across the site and the provider without a real
// browser (the Chromium test does the same through the pages).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startTestApp, type TestApp } from '../../helpers/app.js';
import { CookieJar } from '../../../../cloakroom/test/helpers/oidc-provider.js';

export const PROVIDER_ID = 'test';
export const CLIENT_SECRET = 'site-client-secret-for-tests-0123456789';

/** Picks the site's port first, so the provider can register its redirect URIs before the site starts. */
export async function siteOrigin(): Promise<{ port: number; origin: string }> {
  const port = await freePort();
  return { port, origin: `http://127.0.0.1:${port}` };
}

export async function startSiteWithProviders(
  site: { port: number; origin: string },
  providers: object[],
  env: Record<string, string> = {},
  options: Omit<NonNullable<Parameters<typeof startTestApp>[0]>, 'env'> = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'cloakroom-oidc-'));
  const file = join(dir, 'providers.json');
  writeFileSync(file, JSON.stringify(providers), { mode: 0o600 });
  return startTestApp({
    ...options,
    env: { PORT: String(site.port), CLOAKROOM_ORIGIN: site.origin, CLOAKROOM_OIDC_CONFIG: file, ...env },
  });
}

export interface Hop {
  status: number;
  location: string | null;
  text: string;
  headers: Headers;
}

/** One person's browser: a cookie jar per origin, top-level navigations (GET) and same-origin form posts. */
export class Browser {
  readonly #jars = new Map<string, CookieJar>();

  jar(origin: string): CookieJar {
    let jar = this.#jars.get(origin);
    if (jar === undefined) {
      jar = new CookieJar();
      this.#jars.set(origin, jar);
    }
    return jar;
  }

  /** A top-level navigation; `from` is the page's origin (cross-site when it differs). */
  async navigate(url: string, from?: string): Promise<Hop> {
    const target = new URL(url);
    const headers: Record<string, string> = {
      cookie: this.jar(target.origin).header(),
      'sec-fetch-mode': 'navigate',
      'sec-fetch-site': from === undefined ? 'none' : from === target.origin ? 'same-origin' : 'cross-site',
      accept: 'text/html',
    };
    return this.#hop(await fetch(url, { headers, redirect: 'manual' }), target.origin);
  }

  /** A same-origin form post. */
  async post(url: string, fields: Record<string, string> = {}): Promise<Hop> {
    const target = new URL(url);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        cookie: this.jar(target.origin).header(),
        origin: target.origin,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
    return this.#hop(response, target.origin);
  }

  async #hop(response: Response, origin: string): Promise<Hop> {
    this.jar(origin).store(response);
    const location = response.headers.get('location');
    return {
      status: response.status,
      location: location === null ? null : new URL(location, origin).href,
      text: await response.text(),
      headers: response.headers,
    };
  }

  /** JSON from the site (`GET`, with the site's cookies). */
  async getJson(url: string): Promise<{ status: number; body: unknown }> {
    const target = new URL(url);
    const response = await fetch(url, { headers: { cookie: this.jar(target.origin).header() } });
    return { status: response.status, body: await response.json() };
  }
}

/**
 * Signs in at the provider from the site's start URL: start (302 to the provider), the provider's scripted
 * sign-in page, its redirect back, and the callback. Resolves to the callback's answer.
 */
export async function signInThroughProvider(
  browser: Browser,
  app: TestApp,
  login: string,
  startPath = `/auth/oidc/${PROVIDER_ID}/start`,
): Promise<Hop & { url: string }> {
  const start = await browser.navigate(app.origin + startPath, app.origin);
  assert.equal(start.status, 302, start.text);
  assert.ok(start.location !== null);
  return followProvider(browser, start.location, login, app.origin);
}

/** From a provider URL to the site's callback answer, signing in as `login` when the provider asks. */
export async function followProvider(
  browser: Browser,
  url: string,
  login: string,
  site: string,
): Promise<Hop & { url: string }> {
  let next = url;
  let from = site;
  for (let step = 0; step < 12; step++) {
    const target = new URL(next);
    if (target.origin === site) return { ...(await browser.navigate(next, from)), url: next };
    const hop = await browser.navigate(next, from);
    from = target.origin;
    if (hop.status === 200 && target.pathname.startsWith('/interaction/')) {
      const submitted = await browser.post(`${next}/login`, { login });
      assert.ok(submitted.location !== null, `the provider answered ${submitted.status}`);
      next = submitted.location;
      continue;
    }
    assert.ok(
      hop.location !== null,
      `the provider answered ${hop.status} at ${target.pathname}: ${hop.text}`,
    );
    next = hop.location;
  }
  throw new Error('too many hops');
}
