// Account locks and forced resets in the library (what `cloakroom admin lock` and `force-reset` use): a locked
// account is refused only after a correct password, other sign-in methods check through assertCanSignIn, and a
// forced reset makes the password unusable, at the cost of a real verification.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccountLockedError, InvalidCredentialsError } from '../../src/accounts/errors.js';
import { forcePasswordReset } from '../../src/accounts/force-reset.js';
import { assertNotLocked, isLocked } from '../../src/accounts/lock.js';
import { UNUSABLE_PASSWORD_HASH } from '../../src/accounts/password-hash.js';
import { MemoryUserStore } from '../../src/accounts/stores/memory.js';
import type { SecurityEvent } from '../../src/events/index.js';
import { UnauthenticatedError } from '../../src/session/errors.js';
import { harness } from './support.js';

const PASSWORD = 'correct horse battery';

describe('account locks', () => {
  test('isLocked and assertNotLocked read lockedAt', () => {
    assert.equal(isLocked({ lockedAt: null }), false);
    assert.equal(isLocked({}), false);
    assert.equal(isLocked({ lockedAt: 0 }), true);
    assert.throws(() => assertNotLocked({ lockedAt: 1 }), AccountLockedError);
    assert.doesNotThrow(() => assertNotLocked({ lockedAt: null }));
  });

  test('sign-in: a wrong password is invalid_credentials as for anyone; the right one is account_locked, no session', async () => {
    const events: SecurityEvent[] = [];
    const users = new MemoryUserStore();
    const h = await harness({ users, onEvent: (event) => events.push(event) });
    const first = await h.request();
    const user = await h.accounts.register(first.session, { email: 'ada@example.com', password: PASSWORD });
    assert.equal(await users.setLockedAt(user.id, h.clock.now()), true);

    const wrong = await h.request();
    await assert.rejects(
      h.accounts.signIn(wrong.session, { email: 'ada@example.com', password: 'not it at all' }),
      InvalidCredentialsError,
    );
    const right = await h.request();
    await assert.rejects(
      h.accounts.signIn(right.session, { email: 'ada@example.com', password: PASSWORD }),
      (error: unknown) => error instanceof AccountLockedError && error.code === 'account_locked',
    );
    assert.deepEqual(right.setCookies, [], 'no session cookie');
    const reasons = events.filter((e) => e.type === 'sign_in.failed').map((e) => e.reason);
    assert.deepEqual(reasons, ['wrong_password', 'account_locked']);

    await assert.rejects(h.accounts.assertCanSignIn(user.id), AccountLockedError);
    await assert.rejects(h.accounts.assertCanSignIn('nobody'), UnauthenticatedError);
    await users.setLockedAt(user.id, null);
    assert.equal((await h.accounts.assertCanSignIn(user.id)).id, user.id);
    const again = await h.request();
    assert.equal(
      (await h.accounts.signIn(again.session, { email: 'ada@example.com', password: PASSWORD })).id,
      user.id,
    );
  });
});

describe('forcePasswordReset', () => {
  test('the password stops working (after a full verification), every session ends, no mail without recovery', async () => {
    const users = new MemoryUserStore();
    const h = await harness({ users });
    const first = await h.request();
    const user = await h.accounts.register(first.session, { email: 'ada@example.com', password: PASSWORD });
    const second = await h.request();
    await h.accounts.signIn(second.session, { email: 'ada@example.com', password: PASSWORD });
    assert.equal((await h.sessions.listUserSessions(user.id)).length, 2);

    const stored = await users.findById(user.id);
    const result = await forcePasswordReset(stored!, { users, sessions: h.sessions });
    assert.deepEqual(result, { sessionsEnded: 2, mailed: false });
    assert.equal((await users.findById(user.id))?.passwordHash, UNUSABLE_PASSWORD_HASH);
    assert.deepEqual(await h.sessions.listUserSessions(user.id), []);

    h.hasher.reset();
    const third = await h.request();
    await assert.rejects(
      h.accounts.signIn(third.session, { email: 'ada@example.com', password: PASSWORD }),
      InvalidCredentialsError,
    );
    // The unusable hash answered after the dummy argon2 verification, like a wrong password.
    assert.equal(h.hasher.verifications, 2);
  });

  test('an account without a password keeps none', async () => {
    const users = new MemoryUserStore();
    const h = await harness({ users });
    await users.create({ id: 'fed', email: 'fed@example.com', passwordHash: null, createdAt: 0 });
    const result = await forcePasswordReset((await users.findById('fed'))!, { users, sessions: h.sessions });
    assert.deepEqual(result, { sessionsEnded: 0, mailed: false });
    assert.equal((await users.findById('fed'))?.passwordHash, null);
  });
});
