// Recent authentication over HTTP (issue 19): what GET /api/me tells about how the session was made,
// POST /api/auth/reauth (success, refusals, throttling), and the 10-minute guard on each sensitive action.
// Time moves only through the injected clock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ThrottleRule } from '../../../../cloakroom/src/accounts/throttle.js';
import { generateSync } from 'otplib';
import { ManualClock, MINUTE, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, uniqueEmail, type ApiResponse } from './client.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';

interface SessionBody {
  id: string;
  createdAt: string;
  expiresAt: string;
  authTime: string;
  amr: string[];
}

const sessionOf = (response: ApiResponse): SessionBody => (response.body as { session: SessionBody }).session;
const iso = (ms: number) => new Date(ms).toISOString();

describe('recent authentication over HTTP', () => {
  const clock = new ManualClock();
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ clock });
  });
  after(async () => {
    await app.stop();
  });

  async function signedUp(): Promise<{ client: ApiClient; email: string }> {
    const client = new ApiClient(app);
    const email = uniqueEmail('recent');
    await client.register(email, PASSWORD);
    return { client, email };
  }

  test('GET /api/me shows authTime and amr: pwd after registration and after a password sign-in', async () => {
    const registeredAt = clock.now();
    const { client, email } = await signedUp();
    const me = sessionOf(await client.get('/api/me'));
    assert.deepEqual([me.authTime, me.amr], [iso(registeredAt), ['pwd']]);
    assert.equal(me.createdAt, me.authTime);

    clock.advance(3 * MINUTE);
    const other = new ApiClient(app);
    await other.login(email, PASSWORD);
    const fresh = sessionOf(await other.get('/api/me'));
    assert.deepEqual([fresh.authTime, fresh.amr], [iso(clock.now()), ['pwd']]);
    // Reading the session does not move authTime, however much later.
    clock.advance(20 * MINUTE);
    assert.equal(sessionOf(await other.get('/api/me')).authTime, fresh.authTime);
  });

  test('POST /api/auth/reauth with the password: 200 {session}, a new authTime, a rotated cookie', async () => {
    const { client } = await signedUp();
    const before = sessionOf(await client.get('/api/me'));
    const oldCookie = client.cookie;
    clock.advance(30 * MINUTE);
    const answer = await client.post('/api/auth/reauth', { password: PASSWORD });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(Object.keys(answer.body as object), ['session']);
    const session = sessionOf(answer);
    assert.equal(session.authTime, iso(clock.now()));
    assert.deepEqual(session.amr, ['pwd']);
    assert.equal(session.createdAt, before.createdAt, 'the same sign-in, a new proof');
    assert.notEqual(session.id, before.id, 'the session id rotates');
    assert.ok(answer.cookie !== undefined && answer.cookie !== '' && answer.cookie !== oldCookie);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assertError(await client.get('/api/me', { cookie: oldCookie }), 401, 'unauthenticated');
    assert.deepEqual(sessionOf(await client.get('/api/me')), session);
  });

  test('POST /api/auth/reauth refusals: wrong password, no session, bad bodies, foreign origin', async () => {
    const { client } = await signedUp();
    const cookie = client.cookie;
    const wrong = await client.post('/api/auth/reauth', { password: 'not the password' });
    assertError(wrong, 401, 'invalid_credentials');
    assert.equal(wrong.cookie, undefined, 'no new cookie');
    assert.equal(client.cookie, cookie);
    assert.doesNotMatch(wrong.text, /not the password/);

    assertError(
      await new ApiClient(app).post('/api/auth/reauth', { password: PASSWORD }),
      401,
      'unauthenticated',
    );
    for (const body of [
      {},
      { password: 7 },
      { password: PASSWORD, extra: true },
      { code: '123456', password: PASSWORD },
      [],
    ]) {
      assertError(await client.post('/api/auth/reauth', body), 400, 'invalid_request');
    }
    assertError(
      await client.post('/api/auth/reauth', undefined, {
        body: 'password=x',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'unsupported_media_type',
    );
    assertError(
      await client.post('/api/auth/reauth', { password: PASSWORD }, { origin: 'https://evil.example' }),
      403,
      'csrf_rejected',
    );
    // None of that ended or changed the session.
    assert.equal((await client.get('/api/me')).status, 200);
  });

  test('POST /api/auth/reauth with a TOTP code or a recovery code adds otp (and mfa) to amr', async () => {
    const { client } = await signedUp();
    const codeFor = (secret: string) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });
    const setup = await client.post('/api/auth/mfa/totp/setup');
    assert.equal(setup.status, 200, setup.text);
    const { secret } = setup.body as { secret: string };
    const enable = await client.post('/api/auth/mfa/totp/enable', { code: codeFor(secret) });
    assert.equal(enable.status, 200, enable.text);
    const { recoveryCodes } = enable.body as { recoveryCodes: string[] };

    clock.advance(15 * MINUTE);
    assertError(await client.post('/api/auth/reauth', { code: '000000' }), 401, 'invalid_code');
    const byCode = await client.post('/api/auth/reauth', { code: codeFor(secret) });
    assert.equal(byCode.status, 200, byCode.text);
    assert.deepEqual(sessionOf(byCode).amr, ['pwd', 'otp', 'mfa']);
    assert.equal(sessionOf(byCode).authTime, iso(clock.now()));

    clock.advance(15 * MINUTE);
    const byRecovery = await client.post('/api/auth/reauth', { recoveryCode: recoveryCodes[0] });
    assert.equal(byRecovery.status, 200, byRecovery.text);
    assert.equal(sessionOf(byRecovery).authTime, iso(clock.now()));
    assert.deepEqual(sessionOf(byRecovery).amr, ['pwd', 'otp', 'mfa']);
  });

  /** Each guarded action: a request that succeeds for a recent sign-in, and its success status. */
  const ACTIONS: {
    name: string;
    run: (client: ApiClient, email: string, password: string) => Promise<ApiResponse>;
    ok: number;
  }[] = [
    {
      name: 'changing the password (POST /api/auth/password)',
      run: (client, _email, password) =>
        client.post('/api/auth/password', { currentPassword: password, newPassword: NEW_PASSWORD }),
      ok: 200,
    },
    {
      name: 'changing the email (POST /api/auth/email/change)',
      run: (client, _email, password) =>
        client.post('/api/auth/email/change', { newEmail: uniqueEmail('moved'), currentPassword: password }),
      ok: 202,
    },
    {
      name: 'deleting the account (DELETE /api/me)',
      run: (client, _email, password) => client.delete('/api/me', { json: { currentPassword: password } }),
      ok: 204,
    },
    {
      name: 'creating client credentials (POST /api/tokens)',
      run: (client) => client.post('/api/tokens', {}),
      ok: 201,
    },
  ];

  for (const action of ACTIONS) {
    test(`the 10-minute guard on ${action.name}`, async () => {
      // A fresh sign-in passes.
      const fresh = await signedUp();
      const passed = await action.run(fresh.client, fresh.email, PASSWORD);
      assert.equal(passed.status, action.ok, passed.text);

      // Ten minutes and a second later: 401 reauthentication_required, and nothing happened.
      const { client, email } = await signedUp();
      clock.advance(10 * MINUTE + SECOND);
      const refused = await action.run(client, email, PASSWORD);
      assertError(refused, 401, 'reauthentication_required');
      const me = await client.get('/api/me');
      assert.equal(me.status, 200, 'still signed in, account untouched');
      assert.equal((me.body as { user: { email: string } }).user.email, email);
      await client.login(email, PASSWORD).catch(() => assert.fail('the password did not change'));

      // The sign-in just made is fresh; an old session re-authenticates and then passes.
      const old = await signedUp();
      clock.advance(11 * MINUTE);
      assertError(await action.run(old.client, old.email, PASSWORD), 401, 'reauthentication_required');
      assert.equal((await old.client.post('/api/auth/reauth', { password: PASSWORD })).status, 200);
      const after = await action.run(old.client, old.email, PASSWORD);
      assert.equal(after.status, action.ok, after.text);
    });
  }
});

describe('POST /api/auth/reauth is throttled like sign-in', () => {
  /** 2 free failures, then growing delays. */
  const ACCOUNT: ThrottleRule = { limit: 6, windowSeconds: 3600, freeFailures: 2, maxDelaySeconds: 60 };
  const LOOSE: ThrottleRule = {
    limit: 10_000,
    windowSeconds: 3600,
    freeFailures: 10_000,
    maxDelaySeconds: 1,
  };

  test('failures count against the account: 429 too_many_attempts with Retry-After, even for the right password', async () => {
    const clock = new ManualClock();
    const app = await startTestApp({ clock, throttle: { account: ACCOUNT, address: LOOSE } });
    try {
      const client = new ApiClient(app);
      await client.register(uniqueEmail('reauth-throttle'), PASSWORD);
      clock.advance(15 * MINUTE);
      assertError(
        await client.post('/api/auth/reauth', { password: 'wrong one' }),
        401,
        'invalid_credentials',
      );
      assertError(
        await client.post('/api/auth/reauth', { password: 'wrong two' }),
        401,
        'invalid_credentials',
      );
      const throttled = await client.post('/api/auth/reauth', { password: PASSWORD });
      assertError(throttled, 429, 'too_many_attempts');
      assert.match(throttled.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal(throttled.cookie, undefined);
      clock.advance(Number(throttled.headers.get('retry-after')) * SECOND);
      const passed = await client.post('/api/auth/reauth', { password: PASSWORD });
      assert.equal(passed.status, 200, passed.text);
    } finally {
      await app.stop();
    }
  });
});
