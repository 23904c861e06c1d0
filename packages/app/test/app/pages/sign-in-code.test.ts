// The second sign-in step page (/sign-in/code) over plain HTTP form posts: after the password, a TOTP code
// or a recovery code signs in (a wrong or replayed one re-renders the page with 401 and no session), and a
// user with a passkey is offered "Use a passkey instead", whose assertion the passkey script posts in the
// form's `passkey` field (here, from a software authenticator). Time moves by the clock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { assertSeeOther, PageClient, uniqueEmail } from './client.js';
import { addPasskey, codeFor, enableTotp, passkeyField } from './second-factor-support.js';

const PASSWORD = 'a long enough passphrase';
const PENDING = 'cloakroom-mfa';
const OPTIONS = '/api/auth/login/mfa/passkey/options';
const PASSKEY_BUTTON =
  /<button type="button" data-passkey="form" data-passkey-options="\/api\/auth\/login\/mfa\/passkey\/options" hidden>/;

describe('the second sign-in step page', () => {
  const clock = new ManualClock(Date.now());
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ clock });
  });
  after(async () => {
    await app.stop();
  });

  /** A new account with TOTP on (and a passkey when asked), signed out. */
  async function account(options: { passkey?: boolean } = {}) {
    const email = uniqueEmail('second-step');
    const owner = new PageClient(app);
    await owner.register(email, PASSWORD);
    const totp = await enableTotp(owner, clock);
    const authenticator = options.passkey === true ? await addPasskey(owner) : null;
    return { email, ...totp, authenticator };
  }

  /** A fresh browser past the password step: it holds the pending cookie and no session. */
  async function pastPassword(email: string): Promise<PageClient> {
    const browser = new PageClient(app);
    assertSeeOther(await browser.post('/sign-in', { email, password: PASSWORD }), '/sign-in/code');
    assert.equal(browser.cookie, null, 'no session yet');
    assert.ok(browser.otherCookies.has(PENDING), 'the pending cookie');
    return browser;
  }

  test('a wrong code is 401 on the page; the right one signs in; the same code again is refused', async () => {
    const { email, secret } = await account();
    const browser = await pastPassword(email);
    const page = await browser.get('/sign-in/code');
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /data-passkey/, 'no passkey, no passkey button');
    assert.doesNotMatch(page.text, /<script/, 'and no script');

    const wrong = await browser.post('/sign-in/code', { code: '000000' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.flat, /That code is not right/);
    assert.match(wrong.flat, /aria-invalid="true"/);
    assert.equal(wrong.cookie, undefined, 'no session');

    const code = codeFor(clock, secret);
    const done = await browser.post('/sign-in/code', { code });
    assertSeeOther(done, '/notes');
    assert.ok(done.cookie, 'a session cookie');
    assert.equal(browser.otherCookies.has(PENDING), false, 'the pending cookie is cleared');
    assert.equal((await browser.get('/notes')).status, 200);

    const again = await pastPassword(email);
    const replayed = await again.post('/sign-in/code', { code });
    assert.equal(replayed.status, 401, 'a code is accepted once');
    assert.equal(replayed.cookie, undefined);
  });

  test('a recovery code signs in once', async () => {
    const { email, recoveryCodes } = await account();
    const browser = await pastPassword(email);
    assertSeeOther(await browser.post('/sign-in/code', { code: recoveryCodes[0]! }), '/notes');
    const again = await pastPassword(email);
    assert.equal((await again.post('/sign-in/code', { code: recoveryCodes[0]! })).status, 401);
  });

  test('with a passkey: the page offers it (script and button), and the passkey signs in', async () => {
    const { email, authenticator } = await account({ passkey: true });
    const browser = await pastPassword(email);
    const page = await browser.get('/sign-in/code');
    assert.equal(page.status, 200);
    assert.match(page.flat, PASSKEY_BUTTON);
    assert.match(page.flat, /Use a passkey instead/);
    assert.match(
      page.flat,
      /<form method="post" action="\/sign-in\/code"><input type="hidden" name="passkey" value="" /,
    );
    assert.match(page.text, /<script src="\/assets\/[^"]+\.js" defer><\/script>/);
    assert.match(page.flat, /name="code"/, 'the code form is still there, for browsers without the script');

    const passkey = await passkeyField(browser, authenticator!, OPTIONS);
    const done = await browser.post('/sign-in/code', { passkey });
    assertSeeOther(done, '/notes');
    assert.ok(done.cookie, 'a session cookie');
    const me = await browser.get('/api/me', { headers: { accept: 'application/json' } });
    assert.equal(me.status, 200, me.text);
    const { session } = JSON.parse(me.text) as { session: { amr: string[] } };
    assert.deepEqual(session.amr.toSorted(), ['hwk', 'mfa', 'pwd']);
  });

  test('a passkey that does not verify, or is not an assertion, is 400 on the page; the step stays', async () => {
    const { email, secret, authenticator } = await account({ passkey: true });
    const browser = await pastPassword(email);
    for (const passkey of [
      await passkeyField(browser, authenticator!, OPTIONS, { origin: 'https://evil.example' }),
      'not json',
      '[1,2]',
    ]) {
      const refused = await browser.post('/sign-in/code', { passkey });
      assert.equal(refused.status, 400, refused.text.slice(0, 200));
      assert.match(refused.flat, /That passkey did not work/);
      assert.match(refused.flat, PASSKEY_BUTTON, 'the page offers the passkey again');
      assert.equal(refused.cookie, undefined, 'no session');
    }
    clock.advance(30 * SECOND);
    assertSeeOther(await browser.post('/sign-in/code', { code: codeFor(clock, secret) }), '/notes');
  });

  test('a passkey without a pending step is refused like a code (401), never a 500', async () => {
    const { authenticator } = await account({ passkey: true });
    const browser = new PageClient(app);
    const options = await browser.json(OPTIONS);
    assert.equal(options.status, 401);
    const passkey = JSON.stringify(authenticator!.get({ challenge: 'AAAA', rpId: 'localhost' }));
    const refused = await browser.post('/sign-in/code', { passkey });
    assert.equal(refused.status, 401);
    assert.equal(refused.cookie, undefined);
  });
});
