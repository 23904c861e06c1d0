// The passkey routes over real HTTP, driven by a software authenticator (node:crypto ES256, attestation
// 'none'): registration and the passwordless sign-in verify for real; tampering, another origin, a replayed
// challenge, bad input and a stale sign-in are all refused with their documented answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSync } from 'otplib';
import { ManualClock, MINUTE, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import {
  SoftwareAuthenticator,
  type CreationOptions,
  type RequestOptions,
  type Tampering,
} from '../../../../cloakroom/test/helpers/software-authenticator.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, captureLog, requestOnce, uniqueEmail, type ApiResponse } from './client.js';

const PASSKEY_COOKIE = 'cloakroom-passkey';

/** The passkey cookie a response set, as `name=value` for the next request. */
function passkeyCookieOf(response: ApiResponse): string {
  const line = response.headers.getSetCookie().find((l) => l.startsWith(`${PASSKEY_COOKIE}=`));
  assert.ok(line, 'the passkey cookie is set');
  assert.match(line, /HttpOnly/i);
  return line.split(';', 1)[0]!;
}

describe('passkeys API', () => {
  let app: TestApp;
  const clock = new ManualClock(Date.now());
  const logged = captureLog();
  before(async () => {
    app = await startTestApp({ clock, log: logged.log });
  });
  after(async () => {
    await app.stop();
  });

  /** The method and amr of the user's last `sign_in.succeeded` security event, from the site's log. */
  function lastSignIn(userId: string): { method: string; amr: string[] } | undefined {
    const events = logged
      .text()
      .split('\n')
      .filter((line) => line.includes('"sign_in.succeeded"'))
      .map((line) => (JSON.parse(line) as { event: { userId: string; method: string; amr: string[] } }).event)
      .filter((event) => event.userId === userId);
    const last = events.at(-1);
    return last === undefined ? undefined : { method: last.method, amr: last.amr };
  }

  async function addPasskey(client: ApiClient, authenticator: SoftwareAuthenticator, name?: string) {
    const options = await client.post('/api/auth/passkeys/register/options');
    assert.equal(options.status, 200, options.text);
    const response = authenticator.create(options.body as CreationOptions);
    return client.post('/api/auth/passkeys/register', name === undefined ? response : { ...response, name });
  }

  async function signUpWithPasskey(synced = false) {
    const client = new ApiClient(app);
    const user = await client.register(uniqueEmail('passkey'));
    const authenticator = new SoftwareAuthenticator(app.origin, { synced });
    const added = await addPasskey(client, authenticator);
    assert.equal(added.status, 201, added.text);
    return { client, user, authenticator, passkeyId: (added.body as { passkey: { id: string } }).passkey.id };
  }

  /** The passwordless sign-in, on a fresh client: options, then the assertion with the passkey cookie. */
  async function passkeyLogin(authenticator: SoftwareAuthenticator, tamper: Tampering = {}) {
    const client = new ApiClient(app);
    const options = await client.post('/api/auth/passkeys/login/options');
    assert.equal(options.status, 200, options.text);
    const cookie = passkeyCookieOf(options);
    const assertion = authenticator.get(options.body as RequestOptions, tamper);
    const response = await client.post('/api/auth/passkeys/login', assertion, { headers: { cookie } });
    return { client, response, cookie, assertion };
  }

  describe('registration', () => {
    test('options ask for a discoverable credential with user verification on the origin’s host', async () => {
      const client = new ApiClient(app);
      const user = await client.register(uniqueEmail());
      const response = await client.post('/api/auth/passkeys/register/options');
      assert.equal(response.status, 200);
      const options = response.body as Record<string, unknown>;
      assert.deepEqual(options.rp, { name: 'Cloakroom', id: '127.0.0.1' });
      assert.equal((options.user as { id: string }).id, Buffer.from(user.id).toString('base64url'));
      assert.equal(
        (options.authenticatorSelection as { userVerification: string }).userVerification,
        'required',
      );
      assert.equal((options.authenticatorSelection as { residentKey: string }).residentKey, 'required');
      assert.equal(typeof options.challenge, 'string');
    });

    test('201 {passkey:{id,name,createdAt}}, then listed (no key material)', async () => {
      const client = new ApiClient(app);
      await client.register(uniqueEmail());
      const authenticator = new SoftwareAuthenticator(app.origin);
      const response = await addPasskey(client, authenticator, 'Laptop');
      assert.equal(response.status, 201, response.text);
      const { passkey } = response.body as { passkey: Record<string, unknown> };
      assert.deepEqual(Object.keys(passkey).sort(), ['createdAt', 'id', 'name']);
      assert.equal(passkey.id, authenticator.id);
      assert.equal(passkey.name, 'Laptop');
      assert.equal(passkey.createdAt, new Date(clock.now()).toISOString());
      const list = await client.get('/api/auth/passkeys');
      assert.equal(list.status, 200);
      assert.deepEqual((list.body as { passkeys: unknown[] }).passkeys, [
        {
          id: authenticator.id,
          name: 'Laptop',
          createdAt: passkey.createdAt,
          lastUsedAt: null,
          synced: false,
        },
      ]);
    });

    const wrong: [string, Tampering][] = [
      ['another origin', { origin: 'http://evil.example' }],
      ['another RP ID', { rpId: 'evil.example' }],
      ['no user verification', { noUserVerification: true }],
    ];
    for (const [name, tamper] of wrong) {
      test(`400 invalid_passkey: ${name}`, async () => {
        const client = new ApiClient(app);
        await client.register(uniqueEmail());
        const options = await client.post('/api/auth/passkeys/register/options');
        const response = authenticator().create(options.body as CreationOptions, tamper);
        assertError(await client.post('/api/auth/passkeys/register', response), 400, 'invalid_passkey');
        assert.deepEqual((await client.get('/api/auth/passkeys')).body, { passkeys: [] });
      });
    }
    const authenticator = () => new SoftwareAuthenticator(app.origin);

    test('400 invalid_passkey: a replayed attestation, or one without options first', async () => {
      const client = new ApiClient(app);
      await client.register(uniqueEmail());
      const options = await client.post('/api/auth/passkeys/register/options');
      const response = authenticator().create(options.body as CreationOptions);
      assert.equal((await client.post('/api/auth/passkeys/register', response)).status, 201);
      assertError(await client.post('/api/auth/passkeys/register', response), 400, 'invalid_passkey');
    });

    test('signed out: 401 unauthenticated; a sign-in older than 10 minutes: 401 reauthentication_required', async () => {
      const stranger = new ApiClient(app);
      assertError(await stranger.post('/api/auth/passkeys/register/options'), 401, 'unauthenticated');
      assertError(await stranger.post('/api/auth/passkeys/register', {}), 401, 'unauthenticated');
      assertError(await stranger.get('/api/auth/passkeys'), 401, 'unauthenticated');
      const client = new ApiClient(app);
      await client.register(uniqueEmail());
      clock.advance(11 * MINUTE);
      assertError(await client.post('/api/auth/passkeys/register/options'), 401, 'reauthentication_required');
    });

    test('bad input: garbage JSON, wrong types, a bad name, a huge body, another content type', async () => {
      const client = new ApiClient(app);
      await client.register(uniqueEmail());
      await client.post('/api/auth/passkeys/register/options');
      const path = '/api/auth/passkeys/register';
      const raw = (body: string) =>
        client.request('POST', path, { body, headers: { 'content-type': 'application/json' } });
      assertError(await raw('{"id":'), 400, 'invalid_request');
      assertError(await raw('[1,2]'), 400, 'invalid_request');
      assertError(await raw('"text"'), 400, 'invalid_request');
      assertError(await client.post(path, { id: 5, response: 'x' }), 400, 'invalid_passkey');
      assertError(
        await client.post(path, { id: 'a', rawId: 'a', type: 'public-key', response: {} }),
        400,
        'invalid_passkey',
      );
      assertError(await client.post(path, { name: 42 }), 400, 'invalid_request');
      assertError(
        await client.request('POST', path, { body: 'x', headers: { 'content-type': 'text/plain' } }),
        415,
        'unsupported_media_type',
      );
      assertError(
        await client.post('/api/auth/passkeys/register/options', { extra: true }),
        400,
        'invalid_request',
      );
      const huge = await requestOnce(app, 'POST', path, {
        headers: {
          'content-type': 'application/json',
          origin: app.origin,
          cookie: `cloakroom=${client.cookie ?? ''}`,
        },
        body: JSON.stringify({ id: 'x'.repeat(70_000) }),
      });
      assertError(huge, 413, 'payload_too_large');
    });
  });

  describe('sign-in with a passkey', () => {
    test('options name no user; the assertion signs in (200 {user}, a session cookie, amr hwk), no email', async () => {
      const { user, authenticator } = await signUpWithPasskey();
      const { client, response } = await passkeyLogin(authenticator);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { user: { id: user.id, email: user.email } });
      assert.ok(response.cookie, 'a session cookie');
      const cleared = response.headers.getSetCookie().find((l) => l.startsWith(`${PASSKEY_COOKIE}=;`));
      assert.ok(cleared, 'the passkey cookie is cleared');
      assert.equal((await client.get('/api/me')).status, 200);
      assert.deepEqual(lastSignIn(user.id), { method: 'passkey', amr: ['hwk'] });
      const { passkeys } = (await client.get('/api/auth/passkeys')).body as {
        passkeys: { lastUsedAt: string | null }[];
      };
      assert.equal(passkeys[0]?.lastUsedAt, new Date(clock.now()).toISOString());
    });

    test('a synced passkey signs in with amr swk', async () => {
      const { authenticator, user } = await signUpWithPasskey(true);
      const { response } = await passkeyLogin(authenticator);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(lastSignIn(user.id), { method: 'passkey', amr: ['swk'] });
    });

    test('a locked account (cloakroom admin lock): 403 account_locked with a right passkey, no session', async () => {
      const { authenticator, user } = await signUpWithPasskey();
      assert.equal(await app.services.users.setLockedAt(user.id, clock.now()), true);
      try {
        const { client, response } = await passkeyLogin(authenticator);
        assertError(response, 403, 'account_locked');
        assert.equal(response.cookie, undefined, 'no session cookie');
        assertError(await client.get('/api/me'), 401, 'unauthenticated');
      } finally {
        await app.services.users.setLockedAt(user.id, null);
      }
      assert.equal((await passkeyLogin(authenticator)).response.status, 200, 'unlocked: signs in again');
    });

    const wrong: [string, Tampering][] = [
      ['a tampered signature', { badSignature: true }],
      ['another origin', { origin: 'http://evil.example' }],
      ['no user verification', { noUserVerification: true }],
      ['a counter that went backwards', { counter: 0 }],
    ];
    for (const [name, tamper] of wrong) {
      test(`400 invalid_passkey: ${name}; not signed in`, async () => {
        const { authenticator } = await signUpWithPasskey();
        if (tamper.counter !== undefined)
          assert.equal((await passkeyLogin(authenticator)).response.status, 200);
        const { client, response } = await passkeyLogin(authenticator, tamper);
        assertError(response, 400, 'invalid_passkey');
        assert.equal(response.cookie, undefined, 'no session cookie');
        assertError(await client.get('/api/me'), 401, 'unauthenticated');
      });
    }

    test('400 invalid_passkey: a replayed assertion, no passkey cookie, an expired challenge', async () => {
      const { authenticator } = await signUpWithPasskey();
      const { response, cookie, assertion } = await passkeyLogin(authenticator);
      assert.equal(response.status, 200);
      const again = new ApiClient(app);
      assertError(
        await again.post('/api/auth/passkeys/login', assertion, { headers: { cookie } }),
        400,
        'invalid_passkey',
      );
      const options = await again.post('/api/auth/passkeys/login/options');
      const fresh = authenticator.get(options.body as RequestOptions);
      assertError(await again.post('/api/auth/passkeys/login', fresh), 400, 'invalid_passkey');
      const late = await again.post('/api/auth/passkeys/login/options');
      clock.advance(5 * MINUTE + 1);
      assertError(
        await again.post('/api/auth/passkeys/login', authenticator.get(late.body as RequestOptions), {
          headers: { cookie: passkeyCookieOf(late) },
        }),
        400,
        'invalid_passkey',
      );
    });

    test('an unknown passkey: 400 invalid_passkey', async () => {
      const { response } = await passkeyLogin(new SoftwareAuthenticator(app.origin));
      assertError(response, 400, 'invalid_passkey');
    });

    test('cross-site: 403 csrf_rejected before anything is read', async () => {
      const client = new ApiClient(app);
      assertError(
        await client.post('/api/auth/passkeys/login/options', undefined, { origin: 'http://evil.example' }),
        403,
        'csrf_rejected',
      );
      assertError(
        await client.post('/api/auth/passkeys/login', {}, { origin: 'http://evil.example' }),
        403,
        'csrf_rejected',
      );
    });

    test('bad input: garbage JSON, wrong types → 400, never 500', async () => {
      const client = new ApiClient(app);
      const options = await client.post('/api/auth/passkeys/login/options');
      const cookie = passkeyCookieOf(options);
      const path = '/api/auth/passkeys/login';
      assertError(
        await client.request('POST', path, {
          body: '{{',
          headers: { 'content-type': 'application/json', cookie },
        }),
        400,
        'invalid_request',
      );
      for (const body of [
        {},
        { id: [] },
        { id: 'a', rawId: 'a', type: 'public-key', response: { signature: 1 } },
      ]) {
        const fresh = await client.post('/api/auth/passkeys/login/options');
        assertError(
          await client.post(path, body, { headers: { cookie: passkeyCookieOf(fresh) } }),
          400,
          'invalid_passkey',
        );
      }
    });
  });

  describe('DELETE /api/auth/passkeys/:id', () => {
    test('204 after a recent sign-in; the passkey no longer signs in', async () => {
      const { client, passkeyId, authenticator } = await signUpWithPasskey();
      const response = await client.delete(`/api/auth/passkeys/${passkeyId}`);
      assert.equal(response.status, 204, response.text);
      assert.deepEqual((await client.get('/api/auth/passkeys')).body, { passkeys: [] });
      assertError((await passkeyLogin(authenticator)).response, 400, 'invalid_passkey');
    });

    test('401 reauthentication_required after 10 minutes; 404 for another user’s or an unknown id', async () => {
      const { client, passkeyId } = await signUpWithPasskey();
      const other = new ApiClient(app);
      await other.register(uniqueEmail());
      assertError(await other.delete(`/api/auth/passkeys/${passkeyId}`), 404, 'not_found');
      assertError(await other.delete('/api/auth/passkeys/unknown'), 404, 'not_found');
      clock.advance(11 * MINUTE);
      assertError(await client.delete(`/api/auth/passkeys/${passkeyId}`), 401, 'reauthentication_required');
      assert.equal(
        ((await client.get('/api/auth/passkeys')).body as { passkeys: unknown[] }).passkeys.length,
        1,
      );
      assertError(await new ApiClient(app).delete(`/api/auth/passkeys/${passkeyId}`), 401, 'unauthenticated');
    });
  });

  describe('re-authentication with a passkey', () => {
    test('POST /api/auth/reauth {passkey} refreshes authTime and adds the passkey to amr', async () => {
      const { client, user, authenticator } = await signUpWithPasskey();
      clock.advance(11 * MINUTE);
      const options = await client.post('/api/auth/passkeys/reauth/options');
      assert.equal(options.status, 200, options.text);
      assert.deepEqual(
        ((options.body as { allowCredentials: { id: string }[] }).allowCredentials ?? []).map((c) => c.id),
        [authenticator.id],
      );
      const cookie = `cloakroom=${client.cookie ?? ''}; ${passkeyCookieOf(options)}`;
      const passkey = authenticator.get(options.body as RequestOptions);
      const response = await client.post('/api/auth/reauth', { passkey }, { headers: { cookie } });
      assert.equal(response.status, 200, response.text);
      const { session } = response.body as { session: { authTime: string; amr: string[] } };
      assert.equal(session.authTime, new Date(clock.now()).toISOString());
      assert.ok(session.amr.includes('hwk') && session.amr.includes('pwd'), session.amr.join());
      assert.ok(response.cookie, 'the token is rotated');
      const me = await client.get('/api/me');
      assert.deepEqual((me.body as { user: { id: string } }).user.id, user.id);
      // Replayed: the challenge is used up.
      const replay = await client.post(
        '/api/auth/reauth',
        { passkey },
        {
          headers: { cookie: `cloakroom=${client.cookie ?? ''}; ${passkeyCookieOf(options)}` },
        },
      );
      assertError(replay, 400, 'invalid_passkey');
    });

    test('another user’s passkey, or a tampered one: 400 invalid_passkey', async () => {
      const { client } = await signUpWithPasskey();
      const { authenticator: theirs } = await signUpWithPasskey();
      for (const tamper of [{}, { badSignature: true }]) {
        const options = await client.post('/api/auth/passkeys/reauth/options');
        const cookie = `cloakroom=${client.cookie ?? ''}; ${passkeyCookieOf(options)}`;
        const passkey = theirs.get(options.body as RequestOptions, tamper);
        assertError(
          await client.post('/api/auth/reauth', { passkey }, { headers: { cookie } }),
          400,
          'invalid_passkey',
        );
      }
      assertError(await new ApiClient(app).post('/api/auth/passkeys/reauth/options'), 401, 'unauthenticated');
    });
  });

  describe('a passkey as the second step of a password sign-in (two-factor on)', () => {
    const PENDING = 'cloakroom-mfa';

    /** A new account with a passkey and TOTP on. */
    async function withPasskeyAndTotp(synced = false) {
      const signedUp = await signUpWithPasskey(synced);
      const setup = await signedUp.client.post('/api/auth/mfa/totp/setup');
      assert.equal(setup.status, 200, setup.text);
      const { secret } = setup.body as { secret: string };
      const code = generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });
      const enabled = await signedUp.client.post('/api/auth/mfa/totp/enable', { code });
      assert.equal(enabled.status, 200, enabled.text);
      clock.advance(30 * SECOND);
      return signedUp;
    }

    /** The password step: `passkey` is among the methods; the pending cookie as `name=value`. */
    async function passwordStep(email: string) {
      const browser = new ApiClient(app);
      const response = await browser.login(email);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { mfaRequired: true, methods: ['totp', 'recovery_code', 'passkey'] });
      assert.equal(response.cookie, undefined, 'no session cookie yet');
      const line = response.headers.getSetCookie().find((l) => l.startsWith(`${PENDING}=`));
      assert.ok(line, 'the pending cookie is set');
      return { browser, pending: line.split(';', 1)[0]! };
    }

    /** Options for the second step, then `POST /api/auth/login/mfa {passkey}` with both cookies. */
    async function passkeyStep(
      browser: ApiClient,
      pending: string,
      authenticator: SoftwareAuthenticator,
      tamper: Tampering = {},
    ) {
      const options = await browser.post('/api/auth/login/mfa/passkey/options', undefined, {
        headers: { cookie: pending },
      });
      assert.equal(options.status, 200, options.text);
      const passkey = authenticator.get(options.body as RequestOptions, tamper);
      const cookie = `${pending}; ${passkeyCookieOf(options)}`;
      return browser.post('/api/auth/login/mfa', { passkey }, { headers: { cookie } });
    }

    test('methods include passkey; options list the user’s passkeys; the assertion signs in (amr pwd, hwk, mfa)', async () => {
      const { user, authenticator } = await withPasskeyAndTotp();
      const { browser, pending } = await passwordStep(user.email);
      const options = await browser.post('/api/auth/login/mfa/passkey/options', undefined, {
        headers: { cookie: pending },
      });
      assert.equal(options.status, 200, options.text);
      assert.deepEqual(
        (options.body as { allowCredentials: { id: string }[] }).allowCredentials.map((c) => c.id),
        [authenticator.id],
      );
      const response = await passkeyStep(browser, pending, authenticator);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { user: { id: user.id, email: user.email } });
      assert.ok(response.cookie, 'a session cookie');
      assert.equal((await browser.get('/api/me')).status, 200);
      assert.deepEqual(lastSignIn(user.id), { method: 'password', amr: ['pwd', 'hwk', 'mfa'] });
      // The pending step is used up.
      const used = await new ApiClient(app).post('/api/auth/login/mfa/passkey/options', undefined, {
        headers: { cookie: pending },
      });
      assertError(used, 401, 'invalid_code');
    });

    test('a synced passkey: amr pwd, swk, mfa', async () => {
      const { user, authenticator } = await withPasskeyAndTotp(true);
      const { browser, pending } = await passwordStep(user.email);
      assert.equal((await passkeyStep(browser, pending, authenticator)).status, 200);
      assert.deepEqual(lastSignIn(user.id), { method: 'password', amr: ['pwd', 'swk', 'mfa'] });
    });

    test('a failed assertion: 400 invalid_passkey, the pending step kept; throttled (429) like a wrong code', async () => {
      const { user, authenticator } = await withPasskeyAndTotp();
      const theirs = (await signUpWithPasskey()).authenticator;
      const { browser, pending } = await passwordStep(user.email);
      const refused = await passkeyStep(browser, pending, authenticator, { badSignature: true });
      assertError(refused, 400, 'invalid_passkey');
      assert.equal(refused.cookie, undefined, 'no session cookie');
      assert.ok(logged.text().includes('"reason":"invalid_passkey"'), 'sign_in.failed invalid_passkey');
      // Another user's passkey is refused too.
      const other = await browser.post('/api/auth/login/mfa/passkey/options', undefined, {
        headers: { cookie: pending },
      });
      const cookie = `${pending}; ${passkeyCookieOf(other)}`;
      const passkey = theirs.get(other.body as RequestOptions);
      assertError(
        await browser.post('/api/auth/login/mfa', { passkey }, { headers: { cookie } }),
        400,
        'invalid_passkey',
      );
      // Still pending: the right passkey signs in.
      assert.equal((await passkeyStep(browser, pending, authenticator)).status, 200);
      // Five failures on a fresh pending step, then 429 even for the right passkey.
      const again = await passwordStep(user.email);
      for (let i = 0; i < 5; i++) {
        assertError(
          await passkeyStep(again.browser, again.pending, authenticator, { badSignature: true }),
          400,
          'invalid_passkey',
        );
      }
      assertError(await passkeyStep(again.browser, again.pending, authenticator), 429, 'too_many_attempts');
    });

    test('options without a pending step: 401 invalid_code; the {code} contract is unchanged', async () => {
      const client = new ApiClient(app);
      assertError(await client.post('/api/auth/login/mfa/passkey/options'), 401, 'invalid_code');
      assertError(
        await client.post('/api/auth/login/mfa/passkey/options', undefined, {
          headers: { cookie: 'cloakroom-mfa=nonsense' },
        }),
        401,
        'invalid_code',
      );
      const { user } = await withPasskeyAndTotp();
      const { browser, pending } = await passwordStep(user.email);
      const wrong = await browser.post(
        '/api/auth/login/mfa',
        { code: '000000' },
        { headers: { cookie: pending } },
      );
      assertError(wrong, 401, 'invalid_code');
      const bad = await browser.post(
        '/api/auth/login/mfa',
        { passkey: 'x' },
        { headers: { cookie: pending } },
      );
      assertError(bad, 400, 'invalid_request');
    });

    test('locked between the password and the passkey: 403 account_locked, no session', async () => {
      const { user, authenticator } = await withPasskeyAndTotp();
      const { browser, pending } = await passwordStep(user.email);
      assert.equal(await app.services.users.setLockedAt(user.id, clock.now()), true);
      try {
        const refused = await passkeyStep(browser, pending, authenticator);
        assertError(refused, 403, 'account_locked');
        assert.equal(refused.cookie, undefined, 'no session cookie');
      } finally {
        await app.services.users.setLockedAt(user.id, null);
      }
    });
  });

  test('nothing secret in the log: no challenge handle, no assertion', () => {
    assert.doesNotMatch(logged.text(), /cloakroom-passkey=/);
    assert.doesNotMatch(logged.text(), /clientDataJSON|attestationObject|signature"/);
  });
});

describe('passwordless passkey sign-in: the sign-in throttle by client address', () => {
  let app: TestApp;
  const clock = new ManualClock(Date.now());
  const logged = captureLog();
  const address = { limit: 100, windowSeconds: 600, freeFailures: 3, maxDelaySeconds: 60 };
  before(async () => {
    app = await startTestApp({ clock, log: logged.log, throttle: { address } });
  });
  after(async () => {
    await app.stop();
  });

  /** A new account, signed in, with one passkey on a software authenticator. */
  async function signedUpWithPasskey() {
    const client = new ApiClient(app);
    await client.register(uniqueEmail('passkey'));
    const authenticator = new SoftwareAuthenticator(app.origin);
    const options = await client.post('/api/auth/passkeys/register/options');
    const added = await client.post(
      '/api/auth/passkeys/register',
      authenticator.create(options.body as CreationOptions),
    );
    assert.equal(added.status, 201, added.text);
    return { client, authenticator };
  }

  async function login(authenticator: SoftwareAuthenticator, tamper: Tampering = {}) {
    const client = new ApiClient(app);
    const options = await client.post('/api/auth/passkeys/login/options');
    assert.equal(options.status, 200, options.text);
    const assertion = authenticator.get(options.body as RequestOptions, tamper);
    const cookie = passkeyCookieOf(options);
    return client.post('/api/auth/passkeys/login', assertion, { headers: { cookie } });
  }

  test('failures count (sign_in.failed invalid_passkey); then 429 too_many_attempts even for a right passkey', async () => {
    const { authenticator } = await signedUpWithPasskey();
    // Successes do not count.
    for (let i = 0; i < 4; i++) assert.equal((await login(authenticator)).status, 200);
    for (let i = 0; i < 2; i++)
      assertError(await login(authenticator, { badSignature: true }), 400, 'invalid_passkey');
    assertError(await login(new SoftwareAuthenticator(app.origin)), 400, 'invalid_passkey');
    const refused = await login(authenticator);
    assertError(refused, 429, 'too_many_attempts');
    assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal(refused.cookie, undefined, 'no session cookie');
    const failed = logged
      .text()
      .split('\n')
      .filter((line) => line.includes('"sign_in.failed"'));
    assert.equal(failed.length, 3);
    assert.ok(failed.every((line) => line.includes('"reason":"invalid_passkey"')));
    assert.ok(logged.text().includes('"sign_in.throttled"'));
    clock.advance(MINUTE + 1);
    assert.equal((await login(authenticator)).status, 200, 'signs in once the delay is over');
  });

  test('failed passkey re-authentications count too: then 429 too_many_attempts even for a right passkey', async () => {
    clock.advance(11 * MINUTE); // the address's earlier failures are over
    const { client, authenticator } = await signedUpWithPasskey();
    const reauth = async (tamper: Tampering = {}) => {
      const started = await client.post('/api/auth/passkeys/reauth/options');
      assert.equal(started.status, 200, started.text);
      const cookie = `cloakroom=${client.cookie ?? ''}; ${passkeyCookieOf(started)}`;
      const passkey = authenticator.get(started.body as RequestOptions, tamper);
      return client.post('/api/auth/reauth', { passkey }, { headers: { cookie } });
    };
    for (let i = 0; i < 4; i++) assert.equal((await reauth()).status, 200, 'successes do not count');
    for (let i = 0; i < 3; i++) assertError(await reauth({ badSignature: true }), 400, 'invalid_passkey');
    const refused = await reauth();
    assertError(refused, 429, 'too_many_attempts');
    assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
    clock.advance(MINUTE + 1);
    assert.equal((await reauth()).status, 200, 'accepted once the delay is over');
  });
});
