// `cloakroom admin lock | unlock | force-reset` against a running site, on SQLite and on Redis sessions:
// what the signed-in clients and the next sign-ins see, the --json shapes and exit codes, and the mail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestApp } from '../helpers/app.js';
import { ApiClient, uniqueEmail } from '../app/api/client.js';
import { mint, oauthPost } from '../app/tokens/support.js';
import { admin, adminJson, assertMe, assertRefused, backends, startSite } from './admin-support.js';

const PASSWORD = 'correct horse battery';

interface UserJson {
  id: string;
  email: string;
  emailVerified: boolean;
  locked: boolean;
  lockedAt: string | null;
}

/** A user signed in from two clients. */
async function twoClients(app: TestApp) {
  const email = uniqueEmail('admin-account');
  const laptop = new ApiClient(app);
  const user = await laptop.register(email);
  const phone = new ApiClient(app);
  await phone.login(email);
  return { email, user, laptop, phone };
}

async function signIn(app: TestApp, email: string, password: string) {
  return new ApiClient(app).post('/api/auth/login', { email, password });
}

/** The newest reset link's token for `to`, from the development outbox the admin process wrote to. */
function resetToken(app: TestApp, to: string): string | undefined {
  const mail = app.services
    .outbox!.list()
    .find((m) => m.to === to && m.text.includes('/reset-password?token='));
  const line = mail?.text.split('\n').find((l) => l.startsWith(`${app.origin}/reset-password?token=`));
  return line === undefined ? undefined : new URL(line).searchParams.get('token')!;
}

for (const backend of await backends('test/cli/admin-accounts.test.ts')) {
  describe(`cloakroom admin: accounts on ${backend.name}`, { skip: backend.skip }, () => {
    let app: TestApp;
    before(async () => {
      app = await startSite(backend);
    });
    after(async () => {
      await app.stop();
    });

    test('lock: both signed-in clients are refused at once, sign-in says account_locked only after the right password; unlock', async () => {
      const { email, user, laptop, phone } = await twoClients(app);
      const tokens = await mint(phone);
      const locked = (await adminJson(app, backend, ['lock', email, '--yes'])) as {
        user: UserJson;
        alreadyLocked: boolean;
        sessionsRevoked: number;
        refreshFamiliesRevoked: number;
      };
      assert.equal(locked.user.id, user.id);
      assert.equal(locked.user.locked, true);
      assert.match(locked.user.lockedAt ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.equal(locked.alreadyLocked, false);
      assert.equal(locked.sessionsRevoked, 2);
      assert.equal(locked.refreshFamiliesRevoked, 1);
      await assertMe(laptop, 401, 'laptop');
      await assertMe(phone, 401, 'phone');
      const refreshed = await oauthPost(app, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      assert.equal(refreshed.status, 400, refreshed.text);

      // A wrong password gets the answer any account gets: the lock is no hint to a guesser.
      const wrong = await signIn(app, email, 'not the password at all');
      assert.equal(wrong.status, 401);
      assert.equal((wrong.body as { error: { code: string } }).error.code, 'invalid_credentials');
      const right = await signIn(app, email, PASSWORD);
      assert.equal(right.status, 403, right.text);
      assert.equal((right.body as { error: { code: string } }).error.code, 'account_locked');
      assert.equal(right.cookie, undefined, 'no session cookie');

      const listed = (await adminJson(app, backend, ['sessions', email])) as { user: UserJson; sessions: [] };
      assert.equal(listed.user.locked, true);
      assert.deepEqual(listed.sessions, []);
      const text = await admin(app, backend, ['sessions', email]);
      assert.match(text.stdout, /, LOCKED since \d{4}-/);

      // Locking again keeps the first time, and still ends whatever session there is.
      const again = (await adminJson(app, backend, ['lock', user.id, '--yes'])) as {
        user: UserJson;
        alreadyLocked: boolean;
      };
      assert.equal(again.alreadyLocked, true);
      assert.equal(again.user.lockedAt, locked.user.lockedAt);

      // Unlocking changes nothing destructive: no --yes needed.
      const unlocked = (await adminJson(app, backend, ['unlock', email])) as {
        user: UserJson;
        wasLocked: boolean;
      };
      assert.deepEqual(unlocked, {
        user: { id: user.id, email, emailVerified: false, locked: false, lockedAt: null },
        wasLocked: true,
      });
      assert.equal((await signIn(app, email, PASSWORD)).status, 200);
      const notLocked = await admin(app, backend, ['unlock', email]);
      assert.equal(notLocked.status, 0);
      assert.match(notLocked.stdout, /^Not locked: /);
    });

    test('lock and force-reset without --yes, stdin not a terminal: exit 2, nothing changed', async () => {
      const { email, phone } = await twoClients(app);
      for (const command of ['lock', 'force-reset']) {
        assertRefused(await admin(app, backend, [command, email]), 2, /pass --yes/);
      }
      await assertMe(phone, 200, 'phone');
      assert.equal((await signIn(app, email, PASSWORD)).status, 200);
      assertRefused(await admin(app, backend, ['lock', 'nobody@example.test', '--yes']), 3, /no account/);
      assertRefused(await admin(app, backend, ['unlock', 'nobody@example.test']), 3, /no account/);
      assertRefused(
        await admin(app, backend, ['force-reset', 'nobody@example.test', '--yes']),
        3,
        /no account/,
      );
    });

    test('force-reset: sessions end, the old password stops working, the mailed link sets a new one', async () => {
      const { email, user, laptop, phone } = await twoClients(app);
      const result = (await adminJson(app, backend, ['force-reset', email, '--yes'])) as Record<
        string,
        unknown
      >;
      assert.deepEqual(result, {
        user: { id: user.id, email, emailVerified: false, locked: false, lockedAt: null },
        sessionsRevoked: 2,
        refreshFamiliesRevoked: 0,
        mail: 'sent',
      });
      await assertMe(laptop, 401, 'laptop');
      await assertMe(phone, 401, 'phone');
      const old = await signIn(app, email, PASSWORD);
      assert.equal(old.status, 401);
      assert.equal((old.body as { error: { code: string } }).error.code, 'invalid_credentials');

      const token = resetToken(app, email);
      assert.ok(token !== undefined, 'a reset link in the outbox');
      const browser = new ApiClient(app);
      const reset = await browser.post('/api/auth/password/reset', {
        token,
        newPassword: 'a brand new passphrase',
      });
      assert.equal(reset.status, 200, reset.text);
      assert.equal((await signIn(app, email, 'a brand new passphrase')).status, 200);
      assert.equal((await signIn(app, email, PASSWORD)).status, 401);
    });

    test("a locked account's reset link is refused (403) and still works once unlocked", async () => {
      const { email } = await twoClients(app);
      assert.equal((await admin(app, backend, ['force-reset', email, '--yes'])).status, 0);
      const token = resetToken(app, email)!;
      assert.equal((await admin(app, backend, ['lock', email, '--yes'])).status, 0);
      const refused = await new ApiClient(app).post('/api/auth/password/reset', {
        token,
        newPassword: 'a brand new passphrase',
      });
      assert.equal(refused.status, 403, refused.text);
      assert.equal((refused.body as { error: { code: string } }).error.code, 'account_locked');
      assert.equal((await admin(app, backend, ['unlock', email])).status, 0);
      const reset = await new ApiClient(app).post('/api/auth/password/reset', {
        token,
        newPassword: 'a brand new passphrase',
      });
      assert.equal(reset.status, 200, reset.text);
    });
  });
}
