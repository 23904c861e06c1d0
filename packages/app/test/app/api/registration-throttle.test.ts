// Registration throttling over HTTP (review finding 3): per client address, new accounts and taken emails
// alike, 429 `too_many_attempts` with the same body and `Retry-After` as a throttled sign-in, and the
// registration form shows the wait. An injected clock, no sleeping.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ThrottleRule } from '../../../../cloakroom/src/accounts/throttle.js';
import { ManualClock, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, uniqueEmail } from './client.js';

const PASSWORD = 'correct horse battery';
/** 3 free registrations per address, then 1 s, 2 s … between them, and at most 5 in ten minutes. */
const REGISTRATION: ThrottleRule = { limit: 5, windowSeconds: 600, freeFailures: 3, maxDelaySeconds: 30 };

describe('registration throttling over HTTP', () => {
  const clock = new ManualClock();
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ clock, throttle: { registration: REGISTRATION } });
  });
  after(() => app.stop());

  test('new and taken emails count alike; then 429 with the sign-in body shape and Retry-After, no session', async () => {
    const taken = uniqueEmail();
    assert.equal(
      (await new ApiClient(app).post('/api/auth/register', { email: taken, password: PASSWORD })).status,
      201,
    );
    const again = await new ApiClient(app).post('/api/auth/register', { email: taken, password: PASSWORD });
    assertError(again, 409, 'email_taken');
    assert.equal(
      (await new ApiClient(app).post('/api/auth/register', { email: uniqueEmail(), password: PASSWORD }))
        .status,
      201,
    );

    for (const email of [uniqueEmail(), taken]) {
      const refused = await new ApiClient(app).post('/api/auth/register', { email, password: PASSWORD });
      assertError(refused, 429, 'too_many_attempts');
      assert.deepEqual(refused.body, {
        error: { code: 'too_many_attempts', message: 'Too many failed attempts. Try again later.' },
      });
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(refused.cookie, undefined, 'no session');
    }

    // The registration form says so too, with the same status and Retry-After.
    const form = await fetch(new URL('/register', app.origin), {
      method: 'POST',
      headers: { origin: app.origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: uniqueEmail(), password: PASSWORD }),
      redirect: 'manual',
    });
    assert.equal(form.status, 429);
    assert.equal(form.headers.get('retry-after'), '1');
    assert.match(await form.text(), /Too many failed attempts/);

    clock.advance(SECOND);
    assert.equal(
      (await new ApiClient(app).post('/api/auth/register', { email: uniqueEmail(), password: PASSWORD }))
        .status,
      201,
    );
  });
});
