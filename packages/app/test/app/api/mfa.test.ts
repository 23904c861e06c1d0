// Two-factor sign-in over real HTTP (issue 19): TOTP setup, enable and removal, the pending second step of
// sign-in, recovery codes, replay and reuse refused, the stale pending step refused (ManualClock), the
// throttle, the recent-authentication guard, what is stored (encrypted, hashed) and what is logged (nothing
// secret). Codes are computed here from the secret with otplib.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { generateSync } from 'otplib';
import { ManualClock, MINUTE, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, captureLog, uniqueEmail, type ApiResponse } from './client.js';

const PASSWORD = 'correct horse battery';
const PENDING = 'cloakroom-mfa';

const clock = new ManualClock(Date.now());
const logged = captureLog();
let app: TestApp;
before(async () => {
  app = await startTestApp({ clock, log: logged.log });
});
after(async () => {
  await app.stop();
});

const codeFor = (secret: string) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });
/** Moves to the next 30-second step, so a new code is not a replay of the last one. */
const nextStep = () => clock.advance(30 * SECOND);

/** The pending cookie's value a response set ('' when cleared), or `undefined`. */
function pendingOf(response: ApiResponse): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';', 1)[0] ?? '';
    if (pair.startsWith(`${PENDING}=`)) return pair.slice(PENDING.length + 1);
  }
  return undefined;
}

/** A signed-in client of a new account with TOTP on: its secret and recovery codes. */
async function withTotp() {
  const client = new ApiClient(app);
  const email = uniqueEmail('mfa');
  const user = await client.register(email, PASSWORD);
  const setup = await client.post('/api/auth/mfa/totp/setup');
  assert.equal(setup.status, 200, setup.text);
  const { secret } = setup.body as { secret: string };
  const enable = await client.post('/api/auth/mfa/totp/enable', { code: codeFor(secret) });
  assert.equal(enable.status, 200, enable.text);
  nextStep();
  const { recoveryCodes } = enable.body as { recoveryCodes: string[] };
  return { client, email, user, secret, recoveryCodes };
}

/** Password step of a sign-in with two-factor on: asserts the pending answer, returns the pending token. */
async function passwordStep(email: string): Promise<{ browser: ApiClient; pending: string }> {
  const browser = new ApiClient(app);
  const response = await browser.post('/api/auth/login', { email, password: PASSWORD });
  assert.equal(response.status, 200, response.text);
  assert.deepEqual(response.body, { mfaRequired: true, methods: ['totp', 'recovery_code'] });
  assert.equal(response.cookie, undefined, 'no session cookie yet');
  assert.equal(browser.cookie, null);
  const pending = pendingOf(response);
  assert.ok(pending, 'the pending cookie is set');
  return { browser, pending };
}

const secondStep = (browser: ApiClient, pending: string, body: unknown, origin: boolean | string = true) =>
  browser.post('/api/auth/login/mfa', body, { headers: { cookie: `${PENDING}=${pending}` }, origin });

describe('TOTP setup and enable', () => {
  test('setup: 200 {secret, otpauthUrl}; enable with a code: 200 {recoveryCodes: 10}', async () => {
    const client = new ApiClient(app);
    const email = uniqueEmail('mfa');
    await client.register(email, PASSWORD);
    const setup = await client.post('/api/auth/mfa/totp/setup');
    assert.equal(setup.status, 200);
    const { secret, otpauthUrl } = setup.body as { secret: string; otpauthUrl: string };
    assert.deepEqual(Object.keys(setup.body as object).sort(), ['otpauthUrl', 'secret']);
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(new URL(otpauthUrl).searchParams.get('secret'), secret);
    assert.ok(otpauthUrl.startsWith('otpauth://totp/'));

    assertError(await client.post('/api/auth/mfa/totp/enable', { code: '000000' }), 400, 'invalid_code');
    assertError(await client.post('/api/auth/mfa/totp/enable', { code: 12 }), 400, 'invalid_request');
    assertError(await client.post('/api/auth/mfa/totp/enable', {}), 400, 'invalid_request');
    const enable = await client.post('/api/auth/mfa/totp/enable', { code: codeFor(secret) });
    assert.equal(enable.status, 200, enable.text);
    const { recoveryCodes } = enable.body as { recoveryCodes: string[] };
    assert.equal(recoveryCodes.length, 10);
    assert.ok(recoveryCodes.every((code) => typeof code === 'string' && code.length >= 20));
  });

  test('signed out: 401 unauthenticated on every two-factor route', async () => {
    const client = new ApiClient(app);
    assertError(await client.post('/api/auth/mfa/totp/setup'), 401, 'unauthenticated');
    assertError(await client.post('/api/auth/mfa/totp/enable', { code: '123456' }), 401, 'unauthenticated');
    assertError(await client.delete('/api/auth/mfa/totp'), 401, 'unauthenticated');
    assertError(await client.post('/api/auth/mfa/recovery-codes'), 401, 'unauthenticated');
  });

  test('enable with no setup under way: 400 invalid_code', async () => {
    const client = new ApiClient(app);
    await client.register(uniqueEmail('mfa'), PASSWORD);
    assertError(await client.post('/api/auth/mfa/totp/enable', { code: '123456' }), 400, 'invalid_code');
  });
});

describe('sign-in with two-factor on', () => {
  test('password → {mfaRequired, methods} and a pending cookie that grants nothing; code → {user} and a session', async () => {
    const { email, user, secret } = await withTotp();
    const { browser, pending } = await passwordStep(email);
    // The pending cookie alone is not a session.
    const me = await browser.get('/api/me', { headers: { cookie: `${PENDING}=${pending}` } });
    assertError(me, 401, 'unauthenticated');

    assertError(await secondStep(browser, pending, { code: '000000' }), 401, 'invalid_code');
    const done = await secondStep(browser, pending, { code: codeFor(secret) });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.body, { user: { id: user.id, email } });
    assert.ok(browser.cookie, 'a full session cookie');
    assert.equal(pendingOf(done), '', 'the pending cookie is cleared');
    const signedIn = await browser.get('/api/me');
    assert.equal(signedIn.status, 200);
    // The new session says how it was made: password, one-time code, two factors.
    const sessionId = browser.cookie?.split('.')[0];
    const sessions = await app.services.sessions.listUserSessions(user.id);
    const made = sessions.find((s) => s.id === sessionId);
    assert.deepEqual([...(made?.amr ?? [])].sort(), ['mfa', 'otp', 'pwd']);
  });

  test('the pending step is single use', async () => {
    const { email, secret } = await withTotp();
    const { browser, pending } = await passwordStep(email);
    assert.equal((await secondStep(browser, pending, { code: codeFor(secret) })).status, 200);
    nextStep();
    assertError(
      await secondStep(new ApiClient(app), pending, { code: codeFor(secret) }),
      401,
      'invalid_code',
    );
  });

  test('a replayed code is refused (the same code, a new pending step, the same window)', async () => {
    const { email, secret } = await withTotp();
    const code = codeFor(secret);
    const first = await passwordStep(email);
    assert.equal((await secondStep(first.browser, first.pending, { code })).status, 200);
    const second = await passwordStep(email);
    assertError(await secondStep(second.browser, second.pending, { code }), 401, 'invalid_code');
  });

  test('two concurrent second steps with the same code: one passes', async () => {
    const { email, secret } = await withTotp();
    const [a, b] = [await passwordStep(email), await passwordStep(email)];
    const code = codeFor(secret);
    const results = await Promise.all([
      secondStep(a.browser, a.pending, { code }),
      secondStep(b.browser, b.pending, { code }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401]);
  });

  test('a pending step older than 5 minutes is refused', async () => {
    const { email, secret } = await withTotp();
    const { browser, pending } = await passwordStep(email);
    clock.advance(5 * MINUTE);
    assertError(await secondStep(browser, pending, { code: codeFor(secret) }), 401, 'invalid_code');
    assert.equal(browser.cookie, null);
  });

  test('no or a forged pending cookie: 401 invalid_code; another Origin: 403 csrf_rejected', async () => {
    const { email, secret } = await withTotp();
    const browser = new ApiClient(app);
    assertError(await browser.post('/api/auth/login/mfa', { code: codeFor(secret) }), 401, 'invalid_code');
    assertError(await secondStep(browser, 'x'.repeat(43), { code: codeFor(secret) }), 401, 'invalid_code');
    const { pending } = await passwordStep(email);
    assertError(
      await secondStep(browser, pending, { code: codeFor(secret) }, 'https://evil.example'),
      403,
      'csrf_rejected',
    );
    assertError(await secondStep(browser, pending, { code: '1', recoveryCode: '2' }), 400, 'invalid_request');
  });

  test('a recovery code signs in once; used again it is refused', async () => {
    const { email, recoveryCodes } = await withTotp();
    const recoveryCode = recoveryCodes[0] ?? '';
    const first = await passwordStep(email);
    assert.equal((await secondStep(first.browser, first.pending, { recoveryCode })).status, 200);
    const second = await passwordStep(email);
    assertError(await secondStep(second.browser, second.pending, { recoveryCode }), 401, 'invalid_code');
  });

  test('wrong codes are throttled like sign-in: 429 too_many_attempts with Retry-After', async () => {
    const { email, secret } = await withTotp();
    const { browser, pending } = await passwordStep(email);
    for (let i = 0; i < 5; i++) {
      assertError(await secondStep(browser, pending, { code: '000000' }), 401, 'invalid_code');
    }
    const refused = await secondStep(browser, pending, { code: codeFor(secret) });
    assertError(refused, 429, 'too_many_attempts');
    assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
  });
});

describe('recovery codes and turning two-factor off', () => {
  test('POST /api/auth/mfa/recovery-codes replaces the set', async () => {
    const { client, email, recoveryCodes } = await withTotp();
    const response = await client.post('/api/auth/mfa/recovery-codes');
    assert.equal(response.status, 200, response.text);
    const fresh = (response.body as { recoveryCodes: string[] }).recoveryCodes;
    assert.equal(fresh.length, 10);
    const old = await passwordStep(email);
    assertError(
      await secondStep(old.browser, old.pending, { recoveryCode: recoveryCodes[1] }),
      401,
      'invalid_code',
    );
    assert.equal((await secondStep(old.browser, old.pending, { recoveryCode: fresh[0] })).status, 200);
  });

  test('recovery codes with two-factor off: 400 invalid_request', async () => {
    const client = new ApiClient(app);
    await client.register(uniqueEmail('mfa'), PASSWORD);
    assertError(await client.post('/api/auth/mfa/recovery-codes'), 400, 'invalid_request');
  });

  test('DELETE /api/auth/mfa/totp: 204, and sign-in needs the password alone again', async () => {
    const { client, email } = await withTotp();
    const response = await client.delete('/api/auth/mfa/totp');
    assert.equal(response.status, 204);
    const browser = new ApiClient(app);
    const login = await browser.post('/api/auth/login', { email, password: PASSWORD });
    assert.equal(login.status, 200);
    assert.equal((login.body as { user: { email: string } }).user.email, email);
    assert.ok(browser.cookie);
  });

  test('setup, removal and new codes need a recent sign-in: 401 reauthentication_required', async () => {
    const { client } = await withTotp();
    clock.advance(11 * MINUTE);
    assertError(await client.post('/api/auth/mfa/totp/setup'), 401, 'reauthentication_required');
    assertError(await client.delete('/api/auth/mfa/totp'), 401, 'reauthentication_required');
    assertError(await client.post('/api/auth/mfa/recovery-codes'), 401, 'reauthentication_required');
  });
});

describe('what is stored and logged', () => {
  test('the TOTP secret is stored encrypted and the recovery codes hashed', async () => {
    const { user, secret, recoveryCodes } = await withTotp();
    const db = new Database(join(app.dataDir, 'cloakroom.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT * FROM cloakroom_totp WHERE user_id = ?').get(user.id) as Record<
        string,
        unknown
      >;
      const stored = String(row.secret);
      assert.match(stored, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      assert.ok(!stored.includes(secret));
      assert.ok(!JSON.stringify(row).includes(secret));
      const hashes = db
        .prepare('SELECT hash FROM cloakroom_recovery_codes WHERE user_id = ?')
        .pluck()
        .all(user.id) as string[];
      assert.equal(hashes.length, 10);
      for (const code of recoveryCodes) {
        const bare = code.replace(/-/g, '');
        assert.ok(hashes.every((hash) => !hash.includes(bare) && !hash.includes(code)));
      }
      const dump = JSON.stringify(db.prepare('SELECT * FROM cloakroom_mfa_pending').all());
      assert.ok(!dump.includes(secret));
    } finally {
      db.close();
    }
  });

  test('no secret, code, recovery code or pending token in the logs', async () => {
    const { email, secret, recoveryCodes } = await withTotp();
    const code = codeFor(secret);
    const { browser, pending } = await passwordStep(email);
    await secondStep(browser, pending, { code: '999999' });
    await secondStep(browser, pending, { code });
    const text = logged.text();
    assert.ok(text.length > 0, 'the site logged its requests');
    for (const value of [secret, code, pending, ...recoveryCodes]) assert.ok(!text.includes(value));
  });
});

describe('a lock between the two steps (cloakroom admin lock)', () => {
  test('the code step answers 403 account_locked with a right code, and signs nobody in', async () => {
    const { email, user, secret } = await withTotp();
    const { browser, pending } = await passwordStep(email);
    assert.equal(await app.services.users.setLockedAt(user.id, clock.now()), true);
    const refused = await secondStep(browser, pending, { code: codeFor(secret) });
    assertError(refused, 403, 'account_locked');
    assert.equal(refused.cookie, undefined, 'no session cookie');
    await app.services.users.setLockedAt(user.id, null);
  });
});
