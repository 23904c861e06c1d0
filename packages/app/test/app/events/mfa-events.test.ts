// The two-factor sign-in's events over HTTP: the password step alone signs nobody in (no sign_in.succeeded),
// a wrong code is sign_in.failed (invalid_code, with the user), the right one sign_in.succeeded with amr
// otp and mfa; neither the TOTP secret nor a code is in any event or log line.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSync } from 'otplib';
import type { SecurityEvent } from 'cloakroom/events';
import { ManualClock, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, captureLog, uniqueEmail } from '../api/client.js';
import { assertNoSecrets, eventsOf, recordEvents } from './support.js';

const PASSWORD = 'correct horse battery';
const PENDING = 'cloakroom-mfa';

describe('security events of the two-factor sign-in', () => {
  const clock = new ManualClock(Date.now());
  const logged = captureLog();
  let app: TestApp;
  let events: SecurityEvent[];
  before(async () => {
    app = await startTestApp({ clock, log: logged.log });
    events = recordEvents(app);
  });
  after(async () => {
    await app.stop();
  });
  const codeFor = (secret: string) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });

  test('wrong code: sign_in.failed; right code: sign_in.succeeded with otp and mfa', async () => {
    const owner = new ApiClient(app);
    const email = uniqueEmail('mfa-events');
    const user = await owner.register(email, PASSWORD);
    const setup = await owner.post('/api/auth/mfa/totp/setup');
    const { secret } = setup.body as { secret: string };
    const enabledCode = codeFor(secret);
    assert.equal((await owner.post('/api/auth/mfa/totp/enable', { code: enabledCode })).status, 200);
    clock.advance(30 * SECOND);

    events.length = 0;
    const browser = new ApiClient(app);
    const first = await browser.post('/api/auth/login', { email, password: PASSWORD });
    assert.equal(first.status, 200, first.text);
    const pending = first.headers
      .getSetCookie()
      .map((line) => line.split(';', 1)[0] ?? '')
      .find((pair) => pair.startsWith(`${PENDING}=`))
      ?.slice(PENDING.length + 1);
    assert.ok(pending !== undefined);
    assert.deepEqual(
      events.filter((event) => event.type === 'sign_in.succeeded'),
      [],
      'the password step alone signs nobody in',
    );
    const step = (body: unknown) =>
      browser.post('/api/auth/login/mfa', body, { headers: { cookie: `${PENDING}=${pending}` } });

    const wrong = codeFor(secret) === '000000' ? '111111' : '000000';
    assertError(await step({ code: wrong }), 401, 'invalid_code');
    const [failed] = eventsOf(events, 'sign_in.failed');
    assert.deepEqual([failed?.reason, failed?.method, failed?.userId], ['invalid_code', 'totp', user.id]);

    const code = codeFor(secret);
    const done = await step({ code });
    assert.equal(done.status, 200, done.text);
    const [succeeded] = eventsOf(events, 'sign_in.succeeded');
    assert.equal(succeeded?.userId, user.id);
    assert.ok(succeeded.amr?.includes('otp') && succeeded.amr.includes('mfa'), String(succeeded.amr));

    await app.services.activity.log.idle();
    const text = JSON.stringify(events) + logged.text();
    assertNoSecrets(text, [secret, pending, browser.cookie, owner.cookie, PASSWORD]);
    for (const value of [code, wrong, enabledCode])
      assert.ok(!text.includes(`"${value}"`), 'a code is logged');
  });
});
