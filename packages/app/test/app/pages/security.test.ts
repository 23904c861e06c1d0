// What every page promises over real HTTP: security headers, no inline script or style, labelled controls,
// the stylesheet served as a cacheable file, cross-site form posts refused, size limits, and error pages
// that never show a stack trace.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { StoreUnavailableError } from '../../../../cloakroom/src/stores/errors.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { COOKIE, h1Of, PageClient, uniqueEmail, type PageResponse } from './client.js';

const CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function assertSafePage(page: PageResponse, label: string): void {
  const headers = page.headers;
  assert.equal(headers.get('content-type'), 'text/html; charset=UTF-8', label);
  assert.equal(headers.get('content-security-policy'), CSP, label);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', label);
  assert.equal(headers.get('referrer-policy'), 'same-origin', label);
  assert.equal(headers.get('x-frame-options'), 'DENY', label);
  assert.equal(headers.get('cache-control'), 'no-store', label);

  const html = page.text;
  // The one script is the passkey asset, as a same-origin file: never an inline script.
  assert.doesNotMatch(
    html.replace(/<script src="\/assets\/passkeys\.[\w-]+\.js" defer><\/script>/g, ''),
    /<script/i,
    `${label}: no script element but the passkey file`,
  );
  assert.doesNotMatch(html, /<style/i, `${label}: no style element`);
  assert.doesNotMatch(html, /\sstyle\s*=/i, `${label}: no style attribute`);
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${label}: no event handler attribute`);
  assert.doesNotMatch(html, /javascript:/i, `${label}: no javascript: URL`);
  assert.match(page.flat, /<link rel="stylesheet" href="\/assets\/app\.[\w-]+\.css"/, label);
  assert.match(page.flat, /<main id="main"/, label);
  assert.match(page.flat, /<h1>/, label);

  // Every visible form control has a label pointing at it.
  for (const match of page.flat.matchAll(/<(input|textarea)\b([^>]*)>/g)) {
    const attributes = match[2]!;
    if (/type="hidden"/.test(attributes)) continue;
    const id = /\bid="([^"]+)"/.exec(attributes)?.[1];
    assert.ok(id, `${label}: a ${match[1]} without an id`);
    assert.ok(page.flat.includes(`<label for="${id}">`), `${label}: no label for #${id}`);
  }
}

describe('pages: headers, assets, cross-site posts and errors', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.stop());

  async function signedInClient(): Promise<PageClient> {
    const client = new PageClient(app);
    await client.register(uniqueEmail('security'));
    return client;
  }

  test('every page has the security headers, no inline script or style, and labelled controls', async () => {
    const visitor = new PageClient(app);
    const user = await signedInClient();
    const id = await user.createNote('A note', 'with a body');
    const pages: [string, PageResponse][] = [
      ['sign-in', await visitor.get('/sign-in')],
      ['register', await visitor.get('/register')],
      ['sign-in refused', await visitor.post('/sign-in', { email: 'x@example.com', password: 'wrong one' })],
      ['notes', await user.get('/notes')],
      ['notes refused', await user.post('/notes', { title: '' })],
      ['edit note', await user.get(`/notes/${id}`)],
      ['sessions', await user.get('/sessions')],
      ['password', await user.get('/password')],
      ['missing note', await user.get('/notes/00000000-0000-4000-8000-000000000000')],
    ];
    for (const [label, page] of pages) {
      assert.ok([200, 400, 401, 404].includes(page.status), `${label}: ${page.status}`);
      assertSafePage(page, label);
    }
  });

  test('an unknown path is the HTML not-found page, signed in or not', async () => {
    const user = await signedInClient();
    for (const client of [new PageClient(app), user]) {
      const page = await client.get('/no/such/page');
      assert.equal(page.status, 404);
      assert.equal(h1Of(page.text), 'Page not found');
      assertSafePage(page, 'unknown path');
    }
  });

  test('the stylesheet is a file: text/css, cached for a year at a content-hashed URL, never a cookie', async () => {
    const page = await new PageClient(app).get('/sign-in');
    const href = /<link rel="stylesheet" href="(\/assets\/app\.([\w-]+)\.css)"/.exec(page.flat);
    assert.ok(href);
    // Sent with a cookie that gives no session: the session layer would clear it, but assets never read it.
    const response = await fetch(app.url + href[1]!, { headers: { cookie: `${COOKIE}=bogus.value` } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(response.headers.getSetCookie(), []);
    const css = await response.text();
    assert.match(css, /:focus-visible/);
    const hash = createHash('sha256').update(css).digest('base64url').slice(0, 12);
    assert.equal(href[2], hash, 'the URL names the content');

    const stale = await fetch(`${app.url}/assets/app.AAAAAAAAAAAA.css`);
    assert.equal(stale.status, 404);
    assert.equal(stale.headers.get('cache-control'), 'no-store');
  });

  test('the icon is served as SVG', async () => {
    const page = await new PageClient(app).get('/sign-in');
    const href = /<link rel="icon" href="(\/assets\/icon\.[\w-]+\.svg)"/.exec(page.flat)?.[1];
    assert.ok(href);
    const response = await fetch(app.url + href);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/svg+xml');
    assert.match(await response.text(), /^<svg /);
  });

  test('cross-site form posts that carry the session cookie are refused with a 403 page', async () => {
    const user = await signedInClient();
    const attempts: [string, { origin: string | false; fetchSite: string | null }][] = [
      ['another site', { origin: 'https://evil.example', fetchSite: 'cross-site' }],
      ['another site, no fetch metadata', { origin: 'https://evil.example', fetchSite: null }],
      ['a sibling subdomain', { origin: 'http://sub.localhost', fetchSite: 'same-site' }],
      ['an opaque origin', { origin: 'null', fetchSite: null }],
      ['no origin and no fetch metadata', { origin: false, fetchSite: null }],
    ];
    for (const [label, headers] of attempts) {
      const response = await user.post('/notes', { title: `forged: ${label}` }, headers);
      assert.equal(response.status, 403, label);
      assert.equal(h1Of(response.text), 'Request refused', label);
      assert.match(response.flat, /refused to keep your account safe/);
      assertSafePage(response, label);
    }
    const crossSite = { origin: 'https://evil.example', fetchSite: 'cross-site' };
    assert.equal((await user.post('/sessions/revoke-all', {}, crossSite)).status, 403);
    assert.equal((await user.post('/sign-out', {}, crossSite)).status, 403);
    assert.equal(
      (await user.post('/password', { currentPassword: 'x', newPassword: 'y' }, crossSite)).status,
      403,
    );

    const list = await user.get('/notes');
    assert.equal(list.status, 200, 'still signed in');
    assert.doesNotMatch(list.flat, /forged/, 'no note was created');
  });

  test('sign-in and registration refuse cross-site posts even without a cookie (login CSRF)', async () => {
    const email = uniqueEmail('login-csrf');
    const attacker = new PageClient(app);
    const crossSite = { origin: 'https://evil.example', fetchSite: 'cross-site' };
    const register = await attacker.post(
      '/register',
      { email, password: 'a long enough passphrase' },
      crossSite,
    );
    assert.equal(register.status, 403);
    assert.equal(register.cookie, undefined);
    const signIn = await attacker.post(
      '/sign-in',
      { email, password: 'a long enough passphrase' },
      crossSite,
    );
    assert.equal(signIn.status, 403);
    // The account was never created: a same-origin registration with that email works.
    await new PageClient(app).register(email);
  });

  test('a form body over 64 KiB is refused with 413 and nothing is saved', async () => {
    const user = await signedInClient();
    const response = await user.post('/notes', { title: 'big', body: 'x'.repeat(70 * 1024) });
    assert.equal(response.status, 413);
    assert.equal(h1Of(response.text), 'That was too much');
    assert.match((await user.get('/notes')).flat, /No notes yet/);
  });

  test('a store outage is a 503 page and an unexpected failure a 500 page, never a stack trace', async () => {
    const user = await signedInClient();
    const { sessions, notes } = app.services;

    const validate = sessions.validate.bind(sessions);
    sessions.validate = () =>
      Promise.reject(new StoreUnavailableError('get', new Error('ECONNREFUSED 10.0.0.7')));
    let page: PageResponse;
    try {
      page = await user.get('/notes');
    } finally {
      sessions.validate = validate;
    }
    assert.equal(page.status, 503);
    assert.equal(h1Of(page.text), 'Temporarily unavailable');
    assert.match(page.flat, /cannot reach our data store/);
    assert.doesNotMatch(page.text, /ECONNREFUSED|10\.0\.0\.7|at .*\.ts:\d+/);
    assertSafePage(page, '503');

    const list = notes.list.bind(notes);
    notes.list = () => {
      throw new Error('boom: SELECT secret_column FROM notes');
    };
    try {
      page = await user.get('/notes');
    } finally {
      notes.list = list;
    }
    assert.equal(page.status, 500);
    assert.equal(h1Of(page.text), 'Something went wrong');
    assert.doesNotMatch(page.text, /boom|secret_column|at .*\.ts:\d+/);
    assert.match(page.flat, /Reference:<code>[0-9a-f-]{36}<\/code>/);
    assert.equal(page.headers.get('x-request-id') !== null, true);
    assert.ok(page.text.includes(page.headers.get('x-request-id')!), 'the reference is the request id');

    assert.equal((await user.get('/notes')).status, 200, 'back to normal');
  });
});
