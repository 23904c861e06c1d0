// Registration, sign-in and sign-out pages over real HTTP: statuses, redirects, kept and never-kept fields.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { assertSeeOther, escapeHtml, h1Of, PageClient, uniqueEmail } from './client.js';

describe('pages: register, sign in, sign out', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      throttle: { account: { limit: 3, windowSeconds: 600, freeFailures: 3, maxDelaySeconds: 60 } },
    });
  });
  after(() => app.stop());

  test('the home page sends visitors to sign in and signed-in users to their notes', async () => {
    const client = new PageClient(app);
    assertSeeOther(await client.get('/'), '/sign-in');
    await client.register(uniqueEmail());
    assertSeeOther(await client.get('/'), '/notes');
  });

  test('pages that need a user redirect a signed-out request to sign in, GET or POST', async () => {
    const client = new PageClient(app);
    for (const path of ['/notes', '/notes/00000000-0000-4000-8000-000000000000', '/sessions', '/password']) {
      assertSeeOther(await client.get(path), '/sign-in');
    }
    assertSeeOther(await client.post('/notes', { title: 'x' }), '/sign-in');
    assertSeeOther(await client.post('/password', { currentPassword: 'a', newPassword: 'b' }), '/sign-in');
    assertSeeOther(await client.post('/sessions/revoke-all'), '/sign-in');
  });

  test('the sign-in and registration forms have labelled fields and post to themselves', async () => {
    const client = new PageClient(app);
    for (const path of ['/sign-in', '/register']) {
      const page = await client.get(path);
      assert.equal(page.status, 200);
      assert.match(page.flat, new RegExp(`<form method="post" action="${path}">`));
      assert.match(page.flat, /<label for="email">Email<\/label>/);
      assert.match(page.flat, /<input type="email" id="email" name="email" autocomplete="username"/);
      assert.match(page.flat, /<label for="password">Password<\/label>/);
      assert.match(page.flat, /<input type="password" id="password" name="password"/);
      assert.match(page.flat, /<main id="main"/);
      assert.match(page.flat, /<html lang="en">/);
    }
  });

  test('registration signs in and redirects to the notes with a welcome', async () => {
    const client = new PageClient(app);
    const email = uniqueEmail('ada');
    const response = await client.post('/register', { email, password: 'correct horse battery' });
    assertSeeOther(response, '/notes?notice=welcome');
    assert.ok(response.cookie, 'a session cookie is set');
    assert.match(response.headers.get('set-cookie') ?? '', /HttpOnly/i);
    const notes = await client.get('/notes?notice=welcome');
    assert.equal(notes.status, 200);
    assert.match(notes.flat, /role="status"><p>Welcome!/);
    assert.match(notes.flat, new RegExp(`<nav class="site-nav" aria-label="Main">.*${email}</span>`));
    assert.match(
      notes.flat,
      /<form method="post" action="\/sign-out"><button type="submit"[^>]*>Sign out<\/button>/,
    );
  });

  test('a signed-in user who opens sign-in or registration goes to the notes', async () => {
    const client = new PageClient(app);
    await client.register(uniqueEmail());
    assertSeeOther(await client.get('/sign-in'), '/notes');
    assertSeeOther(await client.get('/register'), '/notes');
  });

  test('registration refusals re-render the form with the right status, the email kept, never the password', async () => {
    const client = new PageClient(app);
    const taken = uniqueEmail('taken');
    await new PageClient(app).register(taken);

    const cases = [
      { email: taken, password: 'another long passphrase', status: 409, message: /already exists/ },
      { email: uniqueEmail(), password: 'password', status: 400, message: /too common/ },
      { email: uniqueEmail(), password: 'short', status: 400, message: /at least 8 characters/ },
      {
        email: 'not-an-email',
        password: 'a fine long passphrase',
        status: 400,
        message: /valid email address/,
      },
    ];
    for (const { email, password, status, message } of cases) {
      const response = await client.post('/register', { email, password });
      assert.equal(response.status, status, `${email} / ${password}`);
      assert.match(response.flat, /<div class="alert" role="alert" id="form-error">/);
      assert.match(response.flat, message);
      assert.ok(response.text.includes(`value="${escapeHtml(email)}"`), 'the email is kept');
      assert.doesNotMatch(
        response.flat,
        /<input type="password"[^>]*value=/,
        'the password is never sent back',
      );
      assert.equal(response.cookie, undefined, 'no session is created');
      assert.equal(response.headers.get('cache-control'), 'no-store');
    }
  });

  test('an email that is markup is escaped when the form comes back', async () => {
    const client = new PageClient(app);
    const email = '"><script>alert(1)</script>';
    const response = await client.post('/register', { email, password: 'a fine long passphrase' });
    assert.equal(response.status, 400);
    assert.ok(!response.text.includes('<script>'));
    assert.ok(response.text.includes('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'));
  });

  test('a wrong password is 401 with a friendly message; the email is kept, the password is not', async () => {
    const email = uniqueEmail('wrong');
    await new PageClient(app).register(email, 'the right passphrase');
    const client = new PageClient(app);
    for (const [tryEmail, password] of [
      [email, 'the wrong passphrase'],
      [uniqueEmail('nobody'), 'the right passphrase'],
    ] as const) {
      const response = await client.post('/sign-in', { email: tryEmail, password });
      assert.equal(response.status, 401);
      assert.equal(h1Of(response.text), 'Sign in');
      assert.match(response.text, /That email and password do not match an account/);
      assert.ok(response.text.includes(`value="${tryEmail}"`));
      assert.ok(!response.text.includes(password));
      assert.equal(client.cookie, null);
    }
    await client.signIn(email, 'the right passphrase');
  });

  test('a locked account (cloakroom admin lock): the right password is 403 with a message, a wrong one the usual 401', async () => {
    const email = uniqueEmail('locked');
    const { id } = await registered(email);
    assert.equal(await app.services.users.setLockedAt(id, Date.now()), true);
    const client = new PageClient(app);
    const wrong = await client.post('/sign-in', { email, password: 'the wrong passphrase' });
    assert.equal(wrong.status, 401);
    assert.doesNotMatch(wrong.text, /account is locked/);
    const right = await client.post('/sign-in', { email, password: 'the right passphrase' });
    assert.equal(right.status, 403);
    assert.equal(h1Of(right.text), 'Sign in');
    assert.match(right.text, /This account is locked/);
    assert.equal(client.cookie, null);
  });

  /** Registers `email` with "the right passphrase" and returns its account. */
  async function registered(email: string): Promise<{ id: string }> {
    await new PageClient(app).register(email, 'the right passphrase');
    const user = await app.services.users.findByEmail(email);
    assert.ok(user !== null);
    return user;
  }

  test('too many failures answer 429 with the wait in words and Retry-After', async () => {
    const email = uniqueEmail('throttled');
    await new PageClient(app).register(email, 'the right passphrase');
    const client = new PageClient(app);
    let response = await client.post('/sign-in', { email, password: 'nope nope nope' });
    for (let attempt = 0; attempt < 5 && response.status === 401; attempt += 1) {
      response = await client.post('/sign-in', { email, password: 'nope nope nope' });
    }
    assert.equal(response.status, 429);
    assert.match(response.text, /Too many failed attempts\. Try again in \d+ (second|minute|hour)s?\./);
    const retryAfter = Number(response.headers.get('retry-after'));
    assert.ok(retryAfter >= 1, `Retry-After: ${response.headers.get('retry-after')}`);
    assert.ok(response.text.includes(`value="${email}"`));
    // Even the right password waits now.
    const right = await client.post('/sign-in', { email, password: 'the right passphrase' });
    assert.equal(right.status, 429);
  });

  test('sign-out ends the session and clears the cookie; the old cookie no longer works', async () => {
    const client = new PageClient(app);
    await client.register(uniqueEmail());
    const old = client.cookie;
    const response = await client.post('/sign-out');
    assertSeeOther(response, '/sign-in?notice=signed-out');
    assert.equal(response.cookie, '', 'the cookie is cleared');
    assertSeeOther(await client.get('/notes', { cookie: old }), '/sign-in');
    const page = await client.get('/sign-in?notice=signed-out');
    assert.match(page.flat, /role="status"><p>You are signed out\.<\/p>/);
  });

  test('only known notices are shown: the query string cannot inject a message', async () => {
    const client = new PageClient(app);
    for (const notice of ['<script>x</script>', 'constructor', 'toString', '__proto__']) {
      const page = await client.get(`/sign-in?notice=${encodeURIComponent(notice)}`);
      assert.equal(page.status, 200);
      assert.ok(!page.text.includes('class="notice"'), notice);
      assert.ok(!page.text.includes('<script>'));
    }
  });
});
