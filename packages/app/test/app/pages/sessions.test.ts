// "Your sessions" and the password page over real HTTP: listing, revoking one, signing out everywhere, and
// the password change that ends the other sessions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { assertSeeOther, h1Of, PageClient, uniqueEmail, type PageResponse } from './client.js';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
  'Version/17.5 Mobile/15E148 Safari/604.1';
const PASSWORD = 'a long enough passphrase';

/** The session ids in the page's revoke forms, in page order. */
function sessionIdsOf(page: PageResponse): string[] {
  return [...page.flat.matchAll(/action="\/sessions\/([^"/]+)\/revoke"/g)].map((match) => match[1]!);
}

describe('pages: your sessions and password', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.stop());

  /** One account signed in on two devices. */
  async function twoDevices(): Promise<{ email: string; desk: PageClient; phone: PageClient }> {
    const email = uniqueEmail('devices');
    const desk = new PageClient(app, FIREFOX_WINDOWS);
    await desk.register(email);
    const phone = new PageClient(app, SAFARI_IPHONE);
    await phone.signIn(email);
    return { email, desk, phone };
  }

  test('lists each device with a readable summary, its IP, times, and marks this device first', async () => {
    const { desk } = await twoDevices();
    const page = await desk.get('/sessions');
    assert.equal(page.status, 200);
    assert.equal(h1Of(page.text), 'Your sessions');
    const items = page.flat.split('<li class="session').slice(1);
    assert.equal(items.length, 2);
    assert.match(
      items[0]!,
      /^ current"><h3>Firefox 128 on Windows<span class="badge">This device<\/span><\/h3>/,
    );
    assert.match(items[1]!, /^"><h3>Safari 17 on iPhone<\/h3>/);
    for (const item of items) {
      assert.match(item, /<dt>IP address<\/dt><dd>127\.0\.0\.1<\/dd>/);
      assert.match(item, /<dt>Signed in<\/dt><dd><time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">/);
      assert.match(item, /<dt>Last seen<\/dt><dd>/);
    }
    assert.equal(page.flat.match(/This device/g)?.length, 1);
    assert.match(page.flat, /<form method="post" action="\/sessions\/revoke-all">/);
  });

  test('revoking another session signs that device out on its next request', async () => {
    const { desk, phone } = await twoDevices();
    const [, phoneId] = sessionIdsOf(await desk.get('/sessions'));
    assert.ok(phoneId);
    assertSeeOther(await desk.post(`/sessions/${phoneId}/revoke`), '/sessions?notice=session-revoked');

    const next = await phone.get('/notes');
    assertSeeOther(next, '/sign-in');
    assert.equal(next.cookie, '', 'the dead cookie is cleared');
    const page = await desk.get('/sessions?notice=session-revoked');
    assert.match(page.flat, /That session is signed out\./);
    assert.equal(sessionIdsOf(page).length, 1);
  });

  test('revoking the current session signs this device out', async () => {
    const { desk, phone } = await twoDevices();
    const [deskId] = sessionIdsOf(await desk.get('/sessions'));
    const response = await desk.post(`/sessions/${deskId}/revoke`);
    assertSeeOther(response, '/sign-in?notice=signed-out');
    assert.equal(response.cookie, '');
    assertSeeOther(await desk.get('/sessions'), '/sign-in');
    assert.equal((await phone.get('/notes')).status, 200, 'the other device is still signed in');
  });

  test("another user's session cannot be revoked: 404, and it stays alive", async () => {
    const { phone } = await twoDevices();
    const [phoneId] = sessionIdsOf(await phone.get('/sessions'));
    const intruder = new PageClient(app);
    await intruder.register(uniqueEmail('intruder'));
    const response = await intruder.post(`/sessions/${phoneId}/revoke`);
    assert.equal(response.status, 404);
    assert.equal(h1Of(response.text), 'Page not found');
    assert.equal((await phone.get('/notes')).status, 200);
    assert.equal((await intruder.post('/sessions/no-such-session/revoke')).status, 404);
  });

  test('sign out everywhere ends every session of the user, and only theirs', async () => {
    const { desk, phone } = await twoDevices();
    const bystander = new PageClient(app);
    await bystander.register(uniqueEmail('bystander'));
    const response = await desk.post('/sessions/revoke-all');
    assertSeeOther(response, '/sign-in?notice=signed-out-everywhere');
    assert.equal(response.cookie, '');
    assertSeeOther(await desk.get('/notes'), '/sign-in');
    assertSeeOther(await phone.get('/notes'), '/sign-in');
    assert.equal((await bystander.get('/notes')).status, 200);
    assert.match(
      (await desk.get('/sign-in?notice=signed-out-everywhere')).flat,
      /signed out on every device/,
    );
  });

  test('the password page has labelled current and new password fields', async () => {
    const { desk } = await twoDevices();
    const page = await desk.get('/password');
    assert.equal(page.status, 200);
    assert.equal(h1Of(page.text), 'Change password');
    assert.match(page.flat, /<label for="currentPassword">Current password<\/label>/);
    assert.match(page.flat, /<input type="password" id="currentPassword" name="currentPassword"/);
    assert.match(page.flat, /<label for="newPassword">New password<\/label>/);
    assert.match(page.flat, /<input type="password" id="newPassword" name="newPassword"/);
  });

  test('a password change rotates this session, ends the others, and swaps the password', async () => {
    const { email, desk, phone } = await twoDevices();
    const before = desk.cookie;
    const response = await desk.post('/password', {
      currentPassword: PASSWORD,
      newPassword: 'a brand new passphrase',
    });
    assertSeeOther(response, '/sessions?notice=password-changed');
    assert.ok(response.cookie, 'the session is rotated: a new cookie');
    assert.notEqual(response.cookie, before);

    const sessions = await desk.get('/sessions?notice=password-changed');
    assert.equal(sessions.status, 200);
    assert.match(sessions.flat, /Password changed\. Every other session was signed out\./);
    assert.equal(sessionIdsOf(sessions).length, 1);
    assertSeeOther(await phone.get('/notes'), '/sign-in');
    assertSeeOther(await desk.get('/notes', { cookie: before }), '/sign-in');

    const old = await new PageClient(app).post('/sign-in', { email, password: PASSWORD });
    assert.equal(old.status, 401);
    await new PageClient(app).signIn(email, 'a brand new passphrase');
  });

  test('password change refusals: wrong current password 401, weak new password 400, nothing changes', async () => {
    const { email, desk, phone } = await twoDevices();
    const wrong = await desk.post('/password', {
      currentPassword: 'not my passphrase',
      newPassword: 'a brand new passphrase',
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.flat, /Your current password is not right\./);
    assert.match(wrong.flat, /id="currentPassword"[^>]*aria-invalid="true"/);
    assert.doesNotMatch(wrong.flat, /value="not my passphrase"|value="a brand new passphrase"/);

    const weak = await desk.post('/password', { currentPassword: PASSWORD, newPassword: 'password1' });
    assert.equal(weak.status, 400);
    assert.match(weak.flat, /too common/);
    assert.match(weak.flat, /id="newPassword"[^>]*aria-invalid="true"/);

    assert.equal((await phone.get('/notes')).status, 200, 'the other session lives on');
    await new PageClient(app).signIn(email, PASSWORD);
  });
});
