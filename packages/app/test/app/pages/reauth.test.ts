// The re-authentication prompt over plain HTTP form posts: a guarded page or form with an old sign-in sends
// the browser to /reauth (which remembers where it came from, same-origin paths only), the password brings
// it back with a rotated session, and a wrong password re-renders the prompt. Time moves by the clock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, MINUTE } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { assertSeeOther, PageClient, uniqueEmail } from './client.js';

const PASSWORD = 'a long enough passphrase';

describe('re-authentication prompt pages', () => {
  const clock = new ManualClock();
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ clock });
  });
  after(async () => {
    await app.stop();
  });

  async function staleBrowser(): Promise<PageClient> {
    const client = new PageClient(app);
    await client.register(uniqueEmail('prompt'), PASSWORD);
    clock.advance(11 * MINUTE);
    return client;
  }

  test('the password page: fresh it shows, old it goes to the prompt, which brings the user back', async () => {
    const fresh = new PageClient(app);
    await fresh.register(uniqueEmail('prompt'), PASSWORD);
    assert.equal((await fresh.get('/password')).status, 200);

    const client = await staleBrowser();
    assertSeeOther(await client.get('/password'), '/reauth?returnTo=%2Fpassword');
    const prompt = await client.get('/reauth?returnTo=%2Fpassword');
    assert.equal(prompt.status, 200);
    assert.match(prompt.flat, /<form method="post" action="\/reauth">/);
    assert.match(prompt.flat, /<input type="hidden" name="returnTo" value="\/password"/);
    assert.match(prompt.flat, /<input type="password" id="password" name="password"/);

    const before = client.cookie;
    const wrong = await client.post('/reauth', { returnTo: '/password', password: 'not it' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.flat, /not the right password/);
    assert.doesNotMatch(wrong.text, /not it/);
    assert.equal(wrong.cookie, undefined);

    const done = await client.post('/reauth', { returnTo: '/password', password: PASSWORD });
    assertSeeOther(done, '/password');
    assert.ok(done.cookie !== undefined && done.cookie !== '' && done.cookie !== before, 'a rotated cookie');
    assert.equal((await client.get('/password')).status, 200);
    const changed = await client.post('/password', {
      currentPassword: PASSWORD,
      newPassword: 'another fine passphrase',
    });
    assertSeeOther(changed, '/sessions?notice=password-changed');
  });

  test('the account forms (email change, deletion) with an old sign-in go to the prompt and change nothing', async () => {
    const client = await staleBrowser();
    assertSeeOther(
      await client.post('/account/email', { newEmail: uniqueEmail('moved'), currentPassword: PASSWORD }),
      '/reauth?returnTo=%2Faccount',
    );
    assertSeeOther(
      await client.post('/account/delete', { currentPassword: PASSWORD }),
      '/reauth?returnTo=%2Faccount',
    );
    assert.equal((await client.get('/account')).status, 200, 'still signed in, the account is still there');
    assertSeeOther(await client.post('/reauth', { returnTo: '/account', password: PASSWORD }), '/account');
    assertSeeOther(
      await client.post('/account/delete', { currentPassword: PASSWORD }),
      '/sign-in?notice=account-deleted',
    );
  });

  test('the return path is same-origin only: anything else returns to the home page', async () => {
    const client = await staleBrowser();
    for (const returnTo of [
      'https://evil.example/x',
      '//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
      '',
    ]) {
      const prompt = await client.get(`/reauth?returnTo=${encodeURIComponent(returnTo)}`);
      assert.equal(prompt.status, 200);
      assert.doesNotMatch(prompt.text, /evil\.example|javascript:/);
    }
    assertSeeOther(
      await client.post('/reauth', { returnTo: '//evil.example/steal', password: PASSWORD }),
      '/',
    );
  });

  test('the prompt needs a signed-in user', async () => {
    const client = new PageClient(app);
    assertSeeOther(await client.get('/reauth?returnTo=%2Fpassword'), '/sign-in');
    assertSeeOther(await client.post('/reauth', { returnTo: '/password', password: PASSWORD }), '/sign-in');
  });
});
