// AccountRecovery on memory stores: one-time links (single use, purpose- and user-bound, expiring,
// superseded), the mails they travel in, the limits, and what a reset, an email change and a deletion do.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloakroomError, httpErrorOf } from '../../src/errors.js';
import { AccountRecovery } from '../../src/accounts/recovery.js';
import { Mailer, type MailFailure } from '../../src/accounts/mail/mailer.js';
import { MemoryMailTransport, type MailMessage } from '../../src/accounts/mail/transport.js';
import { TotpSecretBox } from '../../src/accounts/mfa/secret-box.js';
import { MemoryMfaStore, MemoryPendingSignInStore } from '../../src/accounts/mfa/stores/memory.js';
import { TwoFactor } from '../../src/accounts/mfa/two-factor.js';
import { hashOneTimeToken } from '../../src/accounts/one-time-token.js';
import { MemoryOneTimeTokenStore, MemoryUserStore } from '../../src/accounts/stores/memory.js';
import { generateSync } from 'otplib';
import { HOUR, MINUTE } from '../helpers/clock.js';
import { cookieFrom, harness, ORIGIN } from './support.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a whole new passphrase';

async function setup() {
  const users = new MemoryUserStore();
  const tokens = new MemoryOneTimeTokenStore();
  const h = await harness({ users });
  const transport = new MemoryMailTransport();
  const mailer = new Mailer({ transport, from: 'Site <no-reply@example.com>' });
  const recovery = new AccountRecovery({
    accounts: h.accounts,
    users,
    tokens,
    attempts: h.attempts,
    sessions: h.sessions,
    mailer,
    origin: ORIGIN,
    hasher: h.hasher,
    clock: h.clock,
  });
  const { session, setCookies } = await h.request();
  const user = await h.accounts.register(session, { email: 'ada@example.com', password: PASSWORD });
  const signedIn = async () => (await h.request({ cookie: cookieFrom(setCookies.at(-1)!) })).session;
  /** The mails sent so far (after the background work settles). */
  const mails = async () => {
    await mailer.idle();
    return transport.sent;
  };
  return { ...h, users, tokens, transport, mailer, recovery, user, signedIn, mails };
}

/** The link's token, read from the mail's text part, where the link has a line of its own. */
function tokenOf(mail: MailMessage | undefined, page: string): string {
  assert.ok(mail !== undefined, 'a mail was sent');
  const line = mail.text.split('\n').find((l) => l.startsWith(`${ORIGIN}/${page}?token=`));
  assert.ok(line !== undefined, `the text part has the ${page} link on a line of its own`);
  return new URL(line).searchParams.get('token')!;
}

const codeOf = (code: string, status?: number) => (error: unknown) => {
  assert.ok(error instanceof CloakroomError, String(error));
  assert.equal(error.code, code);
  if (status !== undefined) assert.equal(httpErrorOf(error)?.status, status);
  return true;
};

describe('email verification', () => {
  test('a link verifies the address once; the mail has both parts and names the origin', async () => {
    const s = await setup();
    await s.recovery.requestEmailVerification(await s.signedIn());
    const [mail] = await s.mails();
    assert.equal(mail?.to, 'ada@example.com');
    assert.match(mail.subject, /example\.com/);
    assert.match(mail.html, /<a href="https:\/\/example\.com\/verify-email\?token=/);
    const token = tokenOf(mail, 'verify-email');
    assert.equal(token.length, 43, '256 bits, base64url');
    const anonymous = (await s.request()).session;
    const verified = await s.recovery.verifyEmail(anonymous, { token });
    assert.deepEqual(verified, { id: s.user.id, email: 'ada@example.com', emailVerified: true });
    assert.equal((await s.users.findById(s.user.id))?.emailVerified, true);
    await assert.rejects(s.recovery.verifyEmail(anonymous, { token }), codeOf('invalid_token', 400));
  });

  test('the store keeps only the hash of a token', async () => {
    const s = await setup();
    await s.recovery.requestEmailVerification(await s.signedIn());
    const token = tokenOf((await s.mails())[0], 'verify-email');
    assert.equal(await s.tokens.find(token), null);
    const stored = await s.tokens.find(hashOneTimeToken(token));
    assert.equal(stored?.purpose, 'verify_email');
    assert.equal(stored?.userId, s.user.id);
  });

  test('expired, superseded, malformed and wrong-purpose tokens are refused', async () => {
    const s = await setup();
    const anonymous = (await s.request()).session;
    await s.recovery.requestEmailVerification(await s.signedIn());
    await s.recovery.requestEmailVerification(await s.signedIn());
    const [first, second] = await s.mails();
    const older = tokenOf(first, 'verify-email');
    const newer = tokenOf(second, 'verify-email');
    await assert.rejects(s.recovery.verifyEmail(anonymous, { token: older }), codeOf('invalid_token'));
    for (const token of ['', 'x', 42, null, 'a'.repeat(44), newer.slice(1) + '!']) {
      await assert.rejects(s.recovery.verifyEmail(anonymous, { token }), codeOf('invalid_token'));
    }
    // A reset token is not a verification token (and is not burnt by trying).
    await s.recovery.requestPasswordReset(anonymous, { email: 'ada@example.com' });
    const reset = tokenOf((await s.mails())[2], 'reset-password');
    await assert.rejects(s.recovery.verifyEmail(anonymous, { token: reset }), codeOf('invalid_token'));
    await assert.rejects(
      s.recovery.resetPassword(anonymous, { token: newer, newPassword: NEW_PASSWORD }),
      codeOf('invalid_token'),
    );
    s.clock.advance(24 * HOUR);
    await assert.rejects(s.recovery.verifyEmail(anonymous, { token: newer }), codeOf('invalid_token'));
  });

  test('at most 5 requests an hour per user, then 429 with a wait', async () => {
    const s = await setup();
    for (let i = 0; i < 5; i++) await s.recovery.requestEmailVerification(await s.signedIn());
    await assert.rejects(s.recovery.requestEmailVerification(await s.signedIn()), (error: unknown) => {
      codeOf('too_many_attempts', 429)(error);
      assert.ok(Number(httpErrorOf(error)?.headers['retry-after']) > 0);
      return true;
    });
    s.clock.advance(HOUR);
    await s.recovery.requestEmailVerification(await s.signedIn());
    assert.equal((await s.mails()).length, 6);
  });

  test('signed out: unauthenticated', async () => {
    const s = await setup();
    await assert.rejects(
      s.recovery.requestEmailVerification((await s.request()).session),
      codeOf('unauthenticated'),
    );
  });
});

describe('password reset', () => {
  test('known and unknown addresses get the same answer; only the known one gets a mail', async () => {
    const s = await setup();
    const anonymous = (await s.request()).session;
    assert.equal(
      await s.recovery.requestPasswordReset(anonymous, { email: 'nobody@example.com' }),
      undefined,
    );
    assert.equal(await s.recovery.requestPasswordReset(anonymous, { email: 'ADA@example.com' }), undefined);
    const sent = await s.mails();
    assert.deepEqual(
      sent.map((m) => m.to),
      ['ada@example.com'],
    );
  });

  test('a reset sets the password, ends every session, signs the caller in and sends a notice', async () => {
    const s = await setup();
    const other = await s.signedIn();
    const visitor = await s.request();
    await s.recovery.requestPasswordReset(visitor.session, { email: 'ada@example.com' });
    const token = tokenOf((await s.mails())[0], 'reset-password');
    const user = await s.recovery.resetPassword(visitor.session, { token, newPassword: NEW_PASSWORD });
    assert.equal(user.emailVerified, true, 'following the link proves the address');
    assert.equal(visitor.setCookies.length, 1, 'a new session cookie');
    assert.equal((await s.sessions.validate(s.sessions.readToken(other.info.cookie))).valid, false);
    assert.equal(visitor.session.session?.userId, s.user.id);
    const notice = (await s.mails())[1];
    assert.equal(notice?.to, 'ada@example.com');
    assert.match(notice.subject, /password/i);
    await assert.rejects(
      s.recovery.resetPassword(visitor.session, { token, newPassword: NEW_PASSWORD }),
      codeOf('invalid_token'),
    );
    const again = await s.request();
    await s.accounts.signIn(again.session, { email: 'ada@example.com', password: NEW_PASSWORD });
  });

  test('a weak password is refused and the link still works; an expired link is refused', async () => {
    const s = await setup();
    const visitor = (await s.request()).session;
    await s.recovery.requestPasswordReset(visitor, { email: 'ada@example.com' });
    const token = tokenOf((await s.mails())[0], 'reset-password');
    await assert.rejects(
      s.recovery.resetPassword(visitor, { token, newPassword: 'short' }),
      codeOf('weak_password', 400),
    );
    s.clock.advance(30 * MINUTE);
    await assert.rejects(
      s.recovery.resetPassword(visitor, { token, newPassword: NEW_PASSWORD }),
      codeOf('invalid_token'),
    );
  });

  test('5 requests an hour per address, known or not, then 429', async () => {
    const s = await setup();
    const visitor = (await s.request()).session;
    for (const email of ['ada@example.com', 'nobody@example.com']) {
      for (let i = 0; i < 5; i++) await s.recovery.requestPasswordReset(visitor, { email });
      await assert.rejects(s.recovery.requestPasswordReset(visitor, { email }), codeOf('too_many_attempts'));
    }
  });
});

describe('email change and deletion', () => {
  test('a change mails the new address a link and the old one a notice; following it moves the account', async () => {
    const s = await setup();
    const me = await s.signedIn();
    await assert.rejects(
      s.recovery.requestEmailChange(me, { newEmail: 'new@example.com', currentPassword: 'wrong password!' }),
      codeOf('invalid_credentials', 401),
    );
    await s.recovery.requestEmailChange(me, { newEmail: 'New@example.com', currentPassword: PASSWORD });
    const [link, notice] = await s.mails();
    assert.equal(link?.to, 'new@example.com');
    assert.equal(notice?.to, 'ada@example.com');
    assert.ok(!notice.text.includes('token='), 'the old address gets no link');
    const token = tokenOf(link, 'verify-email');
    const moved = await s.recovery.verifyEmail(me, { token });
    assert.deepEqual(moved, { id: s.user.id, email: 'new@example.com', emailVerified: true });
    assert.equal(await s.users.findByEmail('ada@example.com'), null);
  });

  test('a taken address is refused at the request and again at confirmation', async () => {
    const s = await setup();
    const me = await s.signedIn();
    const other = await s.request();
    await s.accounts.register(other.session, { email: 'bo@example.com', password: PASSWORD });
    await assert.rejects(
      s.recovery.requestEmailChange(me, { newEmail: 'bo@example.com', currentPassword: PASSWORD }),
      codeOf('email_taken', 409),
    );
    await s.recovery.requestEmailChange(me, { newEmail: 'cy@example.com', currentPassword: PASSWORD });
    const token = tokenOf((await s.mails())[0], 'verify-email');
    const third = await s.request();
    await s.accounts.register(third.session, { email: 'cy@example.com', password: PASSWORD });
    await assert.rejects(s.recovery.verifyEmail(me, { token }), codeOf('email_taken', 409));
    assert.equal((await s.users.findById(s.user.id))?.email, 'ada@example.com');
  });

  test('deletion needs the password, then removes the user, its links and sessions', async () => {
    const s = await setup();
    const me = await s.signedIn();
    await s.recovery.requestEmailVerification(me);
    await s.mails();
    await assert.rejects(
      s.recovery.deleteAccount(me, { currentPassword: 'not my password' }),
      codeOf('invalid_credentials'),
    );
    const cookie = me.info.cookie;
    await s.recovery.deleteAccount(me, { currentPassword: PASSWORD });
    assert.equal(await s.users.findById(s.user.id), null);
    assert.equal((await s.sessions.validate(s.sessions.readToken(cookie))).valid, false);
    assert.equal(me.session, null);
  });

  test('deletion with two-factor on deletes the TOTP secret and the recovery codes (memory store)', async () => {
    const s = await setup();
    const mfa = new MemoryMfaStore();
    const twoFactor = new TwoFactor({
      store: mfa,
      pending: new MemoryPendingSignInStore(),
      users: s.users,
      attempts: s.attempts,
      secretBox: new TotpSecretBox([{ id: 'k1', secret: 'a-test-key-of-at-least-thirty-two-characters' }]),
      issuer: 'Test',
      clock: s.clock,
    });
    const recovery = new AccountRecovery({
      accounts: s.accounts,
      users: s.users,
      tokens: s.tokens,
      attempts: s.attempts,
      sessions: s.sessions,
      mailer: s.mailer,
      origin: ORIGIN,
      hasher: s.hasher,
      clock: s.clock,
      twoFactor,
    });
    const { secret } = await twoFactor.setupTotp(s.user);
    const code = generateSync({ secret, epoch: Math.floor(s.clock.now() / 1000) });
    await twoFactor.enableTotp(s.user.id, { code });
    assert.equal((await mfa.listRecoveryCodes(s.user.id)).length, 10);

    await recovery.deleteAccount(await s.signedIn(), { currentPassword: PASSWORD });
    assert.equal(await mfa.findTotp(s.user.id), null);
    assert.deepEqual(await mfa.listRecoveryCodes(s.user.id), []);
  });

  test('an account without a password confirms with a fresh sign-in', async () => {
    const s = await setup();
    await s.users.create({
      id: 'fed',
      email: 'fed@example.com',
      passwordHash: null,
      createdAt: s.clock.now(),
    });
    const visitor = await s.request();
    await visitor.session.signIn('fed');
    const me = (await s.request({ cookie: cookieFrom(visitor.setCookies.at(-1)!) })).session;
    s.clock.advance(10 * MINUTE);
    await assert.rejects(s.recovery.deleteAccount(me, {}), codeOf('invalid_credentials'));
    const fresh = await s.request({ cookie: cookieFrom(visitor.setCookies.at(-1)!) });
    await fresh.session.signIn('fed');
    await s.recovery.deleteAccount(fresh.session, {});
    assert.equal(await s.users.findById('fed'), null);
  });
});

describe('mailer', () => {
  test('a failed send is retried, and reported without the mail', async () => {
    const failures: MailFailure[] = [];
    let tries = 0;
    const sent: MailMessage[] = [];
    const mailer = new Mailer({
      from: 'a@example.com',
      transport: {
        send: (message) => {
          tries += 1;
          if (tries < 3) return Promise.reject(new Error('451 try later'));
          sent.push(message);
          return Promise.resolve();
        },
      },
      retryDelaysMs: [1, 1, 1],
      sleep: () => Promise.resolve(),
      onError: (failure) => failures.push(failure),
    });
    mailer.deliver('reset_password', 'ada@example.com', { subject: 's', text: 'secret-link', html: 'h' });
    await mailer.idle();
    assert.equal(sent.length, 1);
    assert.deepEqual(
      failures.map((f) => [f.kind, f.attempt, f.final]),
      [
        ['reset_password', 1, false],
        ['reset_password', 2, false],
      ],
    );
    assert.ok(!JSON.stringify(failures).includes('secret-link'));
  });

  test('gives up after the last retry', async () => {
    const failures: MailFailure[] = [];
    const mailer = new Mailer({
      from: 'a@example.com',
      transport: { send: () => Promise.reject(new Error('down')) },
      retryDelaysMs: [1],
      sleep: () => Promise.resolve(),
      onError: (failure) => failures.push(failure),
    });
    mailer.deliver('verify_email', 'ada@example.com', { subject: 's', text: 't', html: 'h' });
    await mailer.idle();
    assert.deepEqual(
      failures.map((f) => f.final),
      [false, true],
    );
  });
});

describe('requireVerifiedEmail', () => {
  test('refuses sign-in with 403 email_unverified after the password check, until the address is verified', async () => {
    const users = new MemoryUserStore();
    const h = await harness({ users, requireVerifiedEmail: true });
    const first = await h.request();
    const user = await h.accounts.register(first.session, { email: 'ada@example.com', password: PASSWORD });
    await assert.rejects(
      h.accounts.signIn((await h.request()).session, {
        email: 'ada@example.com',
        password: 'wrong password',
      }),
      codeOf('invalid_credentials'),
      'a wrong password says nothing about verification',
    );
    await assert.rejects(
      h.accounts.signIn((await h.request()).session, { email: 'ada@example.com', password: PASSWORD }),
      codeOf('email_unverified', 403),
    );
    await users.markEmailVerified(user.id, 'ada@example.com');
    await h.accounts.signIn((await h.request()).session, { email: 'ada@example.com', password: PASSWORD });
  });
});
