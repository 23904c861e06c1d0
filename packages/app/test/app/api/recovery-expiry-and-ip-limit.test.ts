// Account recovery over HTTP, the two cases recovery.test.ts cannot reach with the real clock and one client
// address: links past their lifetime (24 h for verification, 30 min for reset) are 400 invalid_token while a
// reset link just inside its lifetime still works, and the forgot-password limit per client address (50 an
// hour), keyed on the forwarded client behind a trusted proxy so that one test can be two clients.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HOUR, MINUTE, ManualClock, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { linkTo, linkToken, startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { ApiClient, assertError, uniqueEmail } from './client.js';

const NEW_PASSWORD = 'an entirely new passphrase';

let smtp: TestSmtpServer;
let app: TestApp;
const clock = new ManualClock(Date.now());

before(async () => {
  smtp = await startSmtpServer();
  app = await startTestApp({
    env: {
      CLOAKROOM_SMTP_URL: smtp.url,
      CLOAKROOM_MAIL_FROM: 'Cloakroom Test <no-reply@example.test>',
      CLOAKROOM_TRUSTED_PROXIES: '127.0.0.1/32,::1/128',
    },
    clock,
    mailRetryDelaysMs: [50, 50],
  });
});
after(async () => {
  await app.stop();
  await smtp.stop();
});

async function tokenFrom(to: string, page: 'verify-email' | 'reset-password'): Promise<string> {
  return linkToken(await smtp.next(to, linkTo(page)), app.origin, page);
}

describe('links past their lifetime', () => {
  test('a verification link is refused after 24 hours', async () => {
    const client = new ApiClient(app);
    const email = uniqueEmail('late-verify');
    await client.register(email);
    const token = await tokenFrom(email, 'verify-email');
    clock.advance(24 * HOUR + SECOND);
    assertError(await new ApiClient(app).post('/api/auth/email/verify', { token }), 400, 'invalid_token');
  });

  test('a reset link works at 29 minutes and is refused after 30; the password is unchanged', async () => {
    const owner = new ApiClient(app);
    const email = uniqueEmail('late-reset');
    await owner.register(email);
    const visitor = new ApiClient(app);

    assert.equal((await visitor.post('/api/auth/password/forgot', { email })).status, 202);
    const early = await tokenFrom(email, 'reset-password');
    clock.advance(29 * MINUTE);
    const reset = await visitor.post('/api/auth/password/reset', { token: early, newPassword: NEW_PASSWORD });
    assert.equal(reset.status, 200, reset.text);

    const other = new ApiClient(app);
    assert.equal((await other.post('/api/auth/password/forgot', { email })).status, 202);
    const late = await tokenFrom(email, 'reset-password');
    clock.advance(30 * MINUTE + SECOND);
    assertError(
      await other.post('/api/auth/password/reset', { token: late, newPassword: 'yet another passphrase' }),
      400,
      'invalid_token',
    );
    // The expired link changed nothing: the password set by the first link still signs in.
    const login = await new ApiClient(app).post('/api/auth/login', { email, password: NEW_PASSWORD });
    assert.equal(login.status, 200, login.text);
  });
});

describe('the forgot-password limit per client address', () => {
  const forgotFrom = (client: ApiClient, forwardedFor: string, email: string) =>
    client.post('/api/auth/password/forgot', { email }, { headers: { 'x-forwarded-for': forwardedFor } });

  test('the 51st request in an hour from one address is 429, whatever the addresses asked for', async () => {
    const client = new ApiClient(app);
    for (let i = 0; i < 50; i++) {
      const accepted = await forgotFrom(client, '203.0.113.50', uniqueEmail(`ip-limit-${i}`));
      assert.equal(accepted.status, 202, `request ${i + 1}: ${accepted.text}`);
    }
    const refused = await forgotFrom(client, '203.0.113.50', uniqueEmail('ip-limit-51'));
    assertError(refused, 429, 'too_many_attempts');
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After is given');
    // Another client behind the same proxy is not locked out.
    assert.equal((await forgotFrom(client, '203.0.113.51', uniqueEmail('ip-limit-other'))).status, 202);
  });
});
