// Account recovery over HTTP, with every mail delivered to a real SMTP server in the test (smtp-server) and
// its link followed: email verification, password reset, email change and account deletion, their errors
// and limits, the stored tokens (hashes), retries of a failed send, and logs that hold no secret.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import {
  linkTo,
  linkToken,
  notice as isNotice,
  startSmtpServer,
  type TestSmtpServer,
} from '../../helpers/smtp.js';
import { mint, oauthPost } from '../tokens/support.js';
import { ApiClient, assertError, captureLog, uniqueEmail } from './client.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'an entirely new passphrase';

let smtp: TestSmtpServer;
let app: TestApp;
const logged = captureLog();
/** Every token, link and password the tests saw: none may appear in the site's log. */
const secrets = new Set<string>([PASSWORD, NEW_PASSWORD]);

before(async () => {
  smtp = await startSmtpServer();
  app = await startTestApp({
    env: { CLOAKROOM_SMTP_URL: smtp.url, CLOAKROOM_MAIL_FROM: 'Cloakroom Test <no-reply@example.test>' },
    log: logged.log,
    mailRetryDelaysMs: [50, 50],
  });
});
after(async () => {
  await app.stop();
  await smtp.stop();
});

async function tokenFrom(to: string, page: 'verify-email' | 'reset-password'): Promise<string> {
  const mail = await smtp.next(to, linkTo(page));
  const token = linkToken(mail, app.origin, page);
  secrets.add(token);
  secrets.add(`${app.origin}/${page}?token=${token}`);
  return token;
}

async function me(client: ApiClient) {
  const response = await client.get('/api/me');
  assert.equal(response.status, 200, response.text);
  return (response.body as { user: { id: string; email: string; emailVerified: boolean } }).user;
}

describe('email verification', () => {
  test('request → mail with text and HTML parts → link → verified; /api/me says so', async () => {
    const client = new ApiClient(app);
    const email = uniqueEmail('verify');
    await client.register(email);
    assert.equal((await me(client)).emailVerified, false);
    // Registration sent the first link; this one supersedes it.
    const first = await tokenFrom(email, 'verify-email');
    const requested = await client.post('/api/auth/email/verify/request');
    assert.equal(requested.status, 202, requested.text);
    assert.deepEqual(requested.body, {});
    const mail = await smtp.next(email);
    assertError(
      await new ApiClient(app).post('/api/auth/email/verify', { token: first }),
      400,
      'invalid_token',
    );
    assert.equal(mail.from, '"Cloakroom Test" <no-reply@example.test>');
    assert.match(mail.subject, new RegExp(app.origin.replace(/[.]/g, '\\.')));
    assert.ok(mail.text.includes(app.origin) && mail.html.includes(app.origin), 'both parts name the origin');
    assert.match(mail.raw, /multipart\/alternative/i);
    assert.match(mail.html, /href="http:\/\/127\.0\.0\.1:\d+\/verify-email\?token=/);
    const token = linkToken(mail, app.origin, 'verify-email');
    secrets.add(token);
    // Works signed out too (the link may be opened in another browser).
    const other = new ApiClient(app);
    const verified = await other.post('/api/auth/email/verify', { token });
    assert.equal(verified.status, 200, verified.text);
    const { user } = verified.body as { user: { email: string; emailVerified: boolean } };
    assert.equal(user.email, email);
    assert.equal(user.emailVerified, true);
    assert.equal((await me(client)).emailVerified, true);
    assertError(await other.post('/api/auth/email/verify', { token }), 400, 'invalid_token');
  });

  test('unknown, malformed and wrong-purpose tokens are 400 invalid_token; a missing one is invalid_request', async () => {
    const client = new ApiClient(app);
    for (const token of ['A'.repeat(43), 'short', '../../etc', 'A'.repeat(500)]) {
      assertError(await client.post('/api/auth/email/verify', { token }), 400, 'invalid_token');
    }
    assertError(await client.post('/api/auth/email/verify', {}), 400, 'invalid_request');
    const email = uniqueEmail('purpose');
    await client.register(email);
    await client.post('/api/auth/password/forgot', { email });
    const reset = await tokenFrom(email, 'reset-password');
    assertError(await client.post('/api/auth/email/verify', { token: reset }), 400, 'invalid_token');
  });

  test('a newer request supersedes the older link', async () => {
    const client = new ApiClient(app);
    const email = uniqueEmail('supersede');
    await client.register(email);
    const older = await tokenFrom(email, 'verify-email');
    await client.post('/api/auth/email/verify/request');
    const newer = await tokenFrom(email, 'verify-email');
    assertError(await client.post('/api/auth/email/verify', { token: older }), 400, 'invalid_token');
    assert.equal((await client.post('/api/auth/email/verify', { token: newer })).status, 200);
  });

  test('signed out: 401; the sixth request in an hour: 429 with Retry-After', async () => {
    assertError(await new ApiClient(app).post('/api/auth/email/verify/request'), 401, 'unauthenticated');
    const client = new ApiClient(app);
    await client.register(uniqueEmail('limit'));
    // Registration sent the first of the five an hour.
    for (let i = 0; i < 4; i++)
      assert.equal((await client.post('/api/auth/email/verify/request')).status, 202);
    const refused = await client.post('/api/auth/email/verify/request');
    assertError(refused, 429, 'too_many_attempts');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
  });

  test('the store keeps only hashes of the tokens', async () => {
    const client = new ApiClient(app);
    const email = uniqueEmail('hashed');
    await client.register(email);
    const token = await tokenFrom(email, 'verify-email');
    const rows = app.services.db!.prepare('SELECT * FROM cloakroom_one_time_tokens').all() as Record<
      string,
      unknown
    >[];
    assert.ok(rows.length > 0);
    const text = JSON.stringify(rows);
    assert.ok(!text.includes(token), 'the token is not stored');
    const { createHash } = await import('node:crypto');
    assert.ok(text.includes(createHash('sha256').update(token).digest('base64url')), 'its hash is');
  });
});

describe('password reset', () => {
  test('forgot → mail → reset: new password, every session and refresh token ended, caller signed in, notice sent', async () => {
    const first = new ApiClient(app);
    const email = uniqueEmail('reset');
    await first.register(email);
    const minted = await mint(first);
    const second = new ApiClient(app);
    await second.login(email);

    const visitor = new ApiClient(app);
    const forgot = await visitor.post('/api/auth/password/forgot', { email });
    assert.equal(forgot.status, 202, forgot.text);
    assert.deepEqual(forgot.body, {});
    const token = await tokenFrom(email, 'reset-password');

    assertError(
      await visitor.post('/api/auth/password/reset', { token, newPassword: 'password' }),
      400,
      'weak_password',
    );
    const reset = await visitor.post('/api/auth/password/reset', { token, newPassword: NEW_PASSWORD });
    assert.equal(reset.status, 200, reset.text);
    assert.equal((reset.body as { user: { email: string } }).user.email, email);
    assert.ok(reset.cookie, 'a new session cookie');
    assert.equal((await me(visitor)).email, email);

    assertError(await first.get('/api/me'), 401, 'unauthenticated');
    assertError(await second.get('/api/me'), 401, 'unauthenticated');
    const refreshed = await oauthPost(app, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: minted.refresh_token,
    });
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.body.error, 'invalid_grant');

    const notice = await smtp.next(email, isNotice);
    assert.match(notice.subject, /password/i);
    assert.ok(!notice.text.includes('token='), 'the notice carries no link');

    assertError(
      await visitor.post('/api/auth/password/reset', { token, newPassword: NEW_PASSWORD }),
      400,
      'invalid_token',
    );
    assertError(
      await new ApiClient(app).post('/api/auth/login', { email, password: PASSWORD }),
      401,
      'invalid_credentials',
    );
    await new ApiClient(app).login(email, NEW_PASSWORD);
  });

  test('known and unknown addresses: the same status, body and headers; a mail only for the known one', async () => {
    const owner = new ApiClient(app);
    const known = uniqueEmail('known');
    await owner.register(known);
    const unknown = uniqueEmail('unknown');
    const visitor = new ApiClient(app);
    const a = await visitor.post('/api/auth/password/forgot', { email: known });
    const b = await visitor.post('/api/auth/password/forgot', { email: unknown });
    assert.equal(a.status, b.status);
    assert.equal(a.text, b.text);
    const headers = (r: typeof a) =>
      [...r.headers].filter(([name]) => name !== 'date' && name !== 'x-request-id');
    assert.deepEqual(headers(a), headers(b));
    await smtp.next(known, linkTo('reset-password'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(smtp.mails.filter((m) => m.to === unknown).length, 0);
  });

  test('the sixth request for one address in an hour is 429, known or not', async () => {
    const visitor = new ApiClient(app);
    const email = uniqueEmail('flood');
    for (let i = 0; i < 5; i++)
      assert.equal((await visitor.post('/api/auth/password/forgot', { email })).status, 202);
    const refused = await visitor.post('/api/auth/password/forgot', { email });
    assertError(refused, 429, 'too_many_attempts');
    assert.ok(refused.headers.get('retry-after'));
    assertError(
      await visitor.post('/api/auth/password/forgot', { email: 'not an address' }),
      400,
      'invalid_request',
    );
  });

  test('a failed send is retried and logged without the token; the answer does not change', async () => {
    const owner = new ApiClient(app);
    const email = uniqueEmail('retry');
    await owner.register(email);
    await smtp.next(email, linkTo('verify-email'));
    const refusedBefore = smtp.refused;
    smtp.failNext(1);
    const answer = await new ApiClient(app).post('/api/auth/password/forgot', { email });
    assert.equal(answer.status, 202);
    const token = await tokenFrom(email, 'reset-password');
    assert.equal(smtp.refused, refusedBefore + 1);
    assert.match(logged.text(), /mail send failed; retrying/);
    assert.equal(
      (await new ApiClient(app).post('/api/auth/password/reset', { token, newPassword: NEW_PASSWORD }))
        .status,
      200,
    );
  });
});

describe('email change', () => {
  test('wrong password 401, taken 409; then links to the new address, a notice to the old, and the change', async () => {
    const client = new ApiClient(app);
    const email = uniqueEmail('change');
    await client.register(email);
    const taken = uniqueEmail('taken');
    await new ApiClient(app).register(taken);
    const newEmail = uniqueEmail('moved');
    assertError(
      await client.post('/api/auth/email/change', { newEmail, currentPassword: 'not the password' }),
      401,
      'invalid_credentials',
    );
    assertError(
      await client.post('/api/auth/email/change', { newEmail: taken, currentPassword: PASSWORD }),
      409,
      'email_taken',
    );
    const started = await client.post('/api/auth/email/change', { newEmail, currentPassword: PASSWORD });
    assert.equal(started.status, 202, started.text);
    assert.deepEqual(started.body, {});
    const notice = await smtp.next(email, isNotice);
    assert.ok(notice.text.includes(newEmail));
    const token = await tokenFrom(newEmail, 'verify-email');
    assert.equal((await me(client)).email, email, 'nothing changes before the link is followed');
    const done = await client.post('/api/auth/email/verify', { token });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(await me(client), { ...(await me(client)), email: newEmail, emailVerified: true });
    await new ApiClient(app).login(newEmail);
  });

  test('an address taken between the request and the link is refused at confirmation: 409', async () => {
    const client = new ApiClient(app);
    await client.register(uniqueEmail('race'));
    const newEmail = uniqueEmail('contested');
    assert.equal(
      (await client.post('/api/auth/email/change', { newEmail, currentPassword: PASSWORD })).status,
      202,
    );
    const token = await tokenFrom(newEmail, 'verify-email');
    await new ApiClient(app).register(newEmail);
    assertError(await client.post('/api/auth/email/verify', { token }), 409, 'email_taken');
  });

  test('signed out: 401', async () => {
    assertError(
      await new ApiClient(app).post('/api/auth/email/change', {
        newEmail: uniqueEmail(),
        currentPassword: PASSWORD,
      }),
      401,
      'unauthenticated',
    );
  });
});

describe('account deletion', () => {
  test('wrong password 401; then 204, the cookie cleared, and the account, notes and sessions gone', async () => {
    const client = new ApiClient(app);
    const email = uniqueEmail('delete');
    const user = await client.register(email);
    assert.equal((await client.post('/api/notes', { title: 't', body: 'b' })).status, 201);
    const other = new ApiClient(app);
    await other.login(email);
    assertError(
      await client.delete('/api/me', { json: { currentPassword: 'wrong one!' } }),
      401,
      'invalid_credentials',
    );
    const deleted = await client.delete('/api/me', { json: { currentPassword: PASSWORD } });
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.cookie, '', 'the cookie is cleared');
    assertError(await other.get('/api/me'), 401, 'unauthenticated');
    assertError(
      await new ApiClient(app).post('/api/auth/login', { email, password: PASSWORD }),
      401,
      'invalid_credentials',
    );
    const db = app.services.db!;
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM users WHERE id = ?').get(user.id), { n: 0 });
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM notes WHERE user_id = ?').get(user.id), { n: 0 });
    assertError(
      await new ApiClient(app).delete('/api/me', { json: { currentPassword: PASSWORD } }),
      401,
      'unauthenticated',
    );
  });
});

describe('logs', () => {
  test('no token, link or password in any log line', async () => {
    await app.services.mailer.idle();
    const text = logged.text();
    assert.ok(text.length > 0, 'something was logged');
    assert.ok(secrets.size > 5);
    for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret reached the log');
    assert.doesNotMatch(text, /token=/);
  });
});
