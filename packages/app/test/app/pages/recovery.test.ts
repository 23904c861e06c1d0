// The recovery pages over plain HTTP form posts (no JavaScript), with mail in the development outbox: the
// outbox files and the loopback-only /dev/outbox page, verify email, forgot/reset password, the Account page's
// email change and deletion, and their refusals.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { assertSeeOther, PageClient, uniqueEmail } from './client.js';

const PASSWORD = 'a long enough passphrase';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(async () => {
  await app.stop();
});

/** The newest link to `page` for `to`, read from the outbox as a developer would. */
async function outboxToken(to: string, page: 'verify-email' | 'reset-password'): Promise<string> {
  await app.services.mailer.idle();
  const mail = app.services.outbox!.list().find((m) => m.to === to && m.text.includes(`/${page}?token=`));
  assert.ok(mail !== undefined, `a ${page} mail to ${to} in the outbox`);
  const line = mail.text.split('\n').find((l) => l.startsWith(`${app.origin}/${page}?token=`))!;
  return new URL(line).searchParams.get('token')!;
}

describe('recovery pages', () => {
  test('the outbox: owner-only files under the data folder, and a page that lists them on loopback', async () => {
    const client = new PageClient(app);
    const email = uniqueEmail('outbox');
    await client.register(email);
    await app.services.mailer.idle();
    const dir = join(app.dataDir, 'outbox');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const files = readdirSync(dir);
    assert.ok(files.length > 0);
    assert.equal(statSync(join(dir, files[0]!)).mode & 0o777, 0o600);
    const page = await new PageClient(app).get('/dev/outbox');
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(email));
    assert.match(page.text, /<a href="http:\/\/127\.0\.0\.1:\d+\/verify-email\?token=/);
  });

  test('register shows the banner; the link page posts the token; the banner is gone', async () => {
    const client = new PageClient(app);
    const email = uniqueEmail('banner');
    await client.register(email);
    assert.match((await client.get('/notes')).text, /Confirm your email address/);
    const again = await client.post('/verify-email/send');
    assertSeeOther(again, '/notes?notice=verification-sent');
    const token = await outboxToken(email, 'verify-email');
    const landing = await client.get(`/verify-email?token=${token}`);
    assert.equal(landing.status, 200);
    assert.ok(landing.text.includes(`name="token" value="${token}"`), 'GET only shows the form');
    assertSeeOther(await client.post('/verify-email', { token }), '/notes?notice=email-verified');
    assert.doesNotMatch((await client.get('/notes')).text, /Confirm your email address/);
    const used = await client.post('/verify-email', { token });
    assert.equal(used.status, 400);
    assert.match(used.text, /invalid, already used or expired/);
  });

  test('forgot password answers the same for any address; the reset form signs in', async () => {
    const owner = new PageClient(app);
    const email = uniqueEmail('forgot');
    await owner.register(email);
    const visitor = new PageClient(app);
    assertSeeOther(await visitor.post('/forgot-password', { email }), '/forgot-password?notice=reset-sent');
    assertSeeOther(
      await visitor.post('/forgot-password', { email: uniqueEmail('nobody') }),
      '/forgot-password?notice=reset-sent',
    );
    const bad = await visitor.post('/forgot-password', { email: 'not an address' });
    assert.equal(bad.status, 400);
    const token = await outboxToken(email, 'reset-password');
    const weak = await visitor.post('/reset-password', { token, newPassword: 'short' });
    assert.equal(weak.status, 400);
    const done = await visitor.post('/reset-password', { token, newPassword: 'brand new long passphrase' });
    assertSeeOther(done, '/notes?notice=password-reset');
    assert.ok(done.cookie, 'signed in with a new session');
    assert.equal((await owner.get('/notes')).status, 303, 'the old session is gone');
  });

  test('the Account page: email change (wrong password, taken, sent) and deletion', async () => {
    const client = new PageClient(app);
    const email = uniqueEmail('account');
    await client.register(email);
    const taken = uniqueEmail('taken');
    await new PageClient(app).register(taken);
    assert.equal((await client.get('/account')).status, 200);
    const wrong = await client.post('/account/email', {
      newEmail: uniqueEmail(),
      currentPassword: 'nope nope',
    });
    assert.equal(wrong.status, 401);
    const clash = await client.post('/account/email', { newEmail: taken, currentPassword: PASSWORD });
    assert.equal(clash.status, 409);
    const newEmail = uniqueEmail('new');
    assertSeeOther(
      await client.post('/account/email', { newEmail, currentPassword: PASSWORD }),
      '/account?notice=email-change-sent',
    );
    assertSeeOther(
      await client.post('/verify-email', { token: await outboxToken(newEmail, 'verify-email') }),
      '/notes?notice=email-verified',
    );
    assert.match((await client.get('/account')).text, new RegExp(newEmail.replace(/[.]/g, '\\.')));

    const foreign = await client.post(
      '/account/delete',
      { currentPassword: PASSWORD },
      { origin: 'https://evil.example' },
    );
    assert.equal(foreign.status, 403, 'CSRF-protected like the rest');
    assert.equal((await client.post('/account/delete', { currentPassword: 'wrong' })).status, 401);
    const deleted = await client.post('/account/delete', { currentPassword: PASSWORD });
    assertSeeOther(deleted, '/sign-in?notice=account-deleted');
    assert.equal(deleted.cookie, '');
    assert.equal(
      (await new PageClient(app).post('/sign-in', { email: newEmail, password: PASSWORD })).status,
      401,
    );
  });
});

describe('the outbox page on a public origin', () => {
  test('is not there (404), even when mail goes to the outbox', async () => {
    const https = await startTestApp({ env: { CLOAKROOM_ORIGIN: 'https://cloakroom.example' } });
    try {
      assert.equal((await fetch(`${https.url}/dev/outbox`)).status, 404);
    } finally {
      await https.stop();
    }
  });
});
