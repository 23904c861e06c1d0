// The re-authentication prompt's other proofs over plain HTTP form posts: with two-factor on, a TOTP code or
// a recovery code (wrong or replayed: 401 on the page, no new cookie; right: back to where the user was with
// a rotated session whose authTime is now); with a passkey, "Confirm with a passkey", whose assertion the
// passkey script posts in the form's `passkey` field (here, from a software authenticator).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, MINUTE } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { assertSeeOther, PageClient, uniqueEmail } from './client.js';
import { addPasskey, codeFor, enableTotp, passkeyField } from './second-factor-support.js';

const PASSWORD = 'a long enough passphrase';
const PROMPT = '/reauth?returnTo=%2Fpassword';
const OPTIONS = '/api/auth/passkeys/reauth/options';

describe('re-authentication with a code or a passkey', () => {
  const clock = new ManualClock(Date.now());
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ clock });
  });
  after(async () => {
    await app.stop();
  });

  async function signedUp(): Promise<PageClient> {
    const client = new PageClient(app);
    await client.register(uniqueEmail('reauth-method'), PASSWORD);
    return client;
  }

  /** Lets the sign-in grow old: the guarded password page now sends the user to the prompt. */
  async function stale(client: PageClient): Promise<void> {
    clock.advance(11 * MINUTE);
    assertSeeOther(await client.get('/password'), PROMPT);
  }

  /** The session's authTime, from `GET /api/me`. */
  async function authTime(client: PageClient): Promise<string> {
    const me = await client.get('/api/me', { headers: { accept: 'application/json' } });
    assert.equal(me.status, 200, me.text);
    return (JSON.parse(me.text) as { session: { authTime: string } }).session.authTime;
  }

  /** Asserts a right proof: back to /password with a rotated cookie, and the guarded page shows. */
  async function confirmed(client: PageClient, fields: Record<string, string>): Promise<void> {
    const before = client.cookie;
    const timeBefore = await authTime(client);
    const done = await client.post('/reauth', { returnTo: '/password', ...fields });
    assertSeeOther(done, '/password');
    assert.ok(done.cookie && done.cookie !== before, 'a rotated cookie');
    assert.notEqual(await authTime(client), timeBefore, 'authTime is refreshed');
    assert.equal((await client.get('/password')).status, 200);
  }

  /** Asserts a refused proof: the prompt again with `status` and `message`, no new cookie, still stale. */
  async function refused(
    client: PageClient,
    fields: Record<string, string>,
    status: number,
    message: RegExp,
  ): Promise<string> {
    const response = await client.post('/reauth', { returnTo: '/password', ...fields });
    assert.equal(response.status, status, response.text.slice(0, 300));
    assert.match(response.flat, message);
    assert.match(response.flat, /<h1>Confirm it is you<\/h1>/);
    assert.equal(response.cookie, undefined, 'no new session cookie');
    assertSeeOther(await client.get('/password'), PROMPT);
    return response.flat;
  }

  test('without two-factor or passkeys the prompt offers the password only; a code is refused, not a 500', async () => {
    const client = await signedUp();
    await stale(client);
    const prompt = await client.get(PROMPT);
    assert.equal(prompt.status, 200);
    assert.doesNotMatch(prompt.flat, /name="code"|data-passkey|<script/);
    await refused(client, { code: '123456' }, 401, /That code is not right/);
  });

  test('a TOTP code: wrong is 401, right refreshes the session, the same code again is 401', async () => {
    const client = await signedUp();
    const { secret } = await enableTotp(client, clock);
    await stale(client);
    const prompt = await client.get(PROMPT);
    assert.match(
      prompt.flat,
      /<input type="hidden" name="returnTo" value="\/password" \/><div class="field"><label for="code">Code<\/label>/,
    );
    assert.match(prompt.flat, /autocomplete="one-time-code"/);
    assert.doesNotMatch(prompt.flat, /data-passkey/);

    const wrong = await refused(client, { code: '000000' }, 401, /That code is not right, or has been used/);
    assert.match(wrong, /id="code"[^>]*aria-invalid="true"/);
    const code = codeFor(clock, secret);
    await confirmed(client, { code });
    await stale(client);
    await refused(client, { code }, 401, /That code is not right/);
  });

  test('a recovery code in the code field works once', async () => {
    const client = await signedUp();
    const { recoveryCodes } = await enableTotp(client, clock);
    await stale(client);
    await confirmed(client, { code: recoveryCodes[1]! });
    await stale(client);
    await refused(client, { code: recoveryCodes[1]! }, 401, /That code is not right/);
  });

  test('two proofs at once are 400 on the page', async () => {
    const client = await signedUp();
    const { secret } = await enableTotp(client, clock);
    await stale(client);
    await refused(
      client,
      { password: PASSWORD, code: codeFor(clock, secret) },
      400,
      /Confirm with one of the forms below/,
    );
    await refused(client, {}, 400, /Confirm with one of the forms below/);
  });

  test('a passkey: the prompt offers it, a bad assertion is 400, a right one refreshes the session', async () => {
    const client = await signedUp();
    const authenticator = await addPasskey(client);
    await stale(client);
    const prompt = await client.get(PROMPT);
    assert.match(
      prompt.flat,
      /<form method="post" action="\/reauth"><input type="hidden" name="returnTo" value="\/password" \/><input type="hidden" name="passkey" value="" \/>/,
    );
    assert.match(
      prompt.flat,
      /data-passkey="form" data-passkey-options="\/api\/auth\/passkeys\/reauth\/options"/,
    );
    assert.match(prompt.flat, /Confirm with a passkey/);
    assert.match(prompt.text, /<script src="\/assets\/[^"]+\.js" defer><\/script>/);
    assert.doesNotMatch(prompt.flat, /name="code"/, 'two-factor is off: no code form');

    const tampered = await passkeyField(client, authenticator, OPTIONS, { challenge: 'AAAA' });
    await refused(client, { passkey: tampered }, 400, /That passkey did not work/);
    await refused(client, { passkey: '{"id":' }, 400, /That passkey did not work/);
    await confirmed(client, { passkey: await passkeyField(client, authenticator, OPTIONS) });
  });
});
