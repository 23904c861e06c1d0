// The Accounts service: registration, sign-in, password change. The timing promise ("unknown email and
// wrong password take the same time") is checked by counting argon2 calls on a hasher subclass, not by timing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryAttemptStore, MemoryUserStore } from '../../src/accounts/stores/memory.js';
import type { ThrottleRule } from '../../src/accounts/throttle.js';
import type { AttemptRecord, UserRecord } from '../../src/accounts/types.js';
import {
  EmailTakenError,
  InvalidCredentialsError,
  TooManyAttemptsError,
  WeakPasswordError,
} from '../../src/accounts/errors.js';
import { CsrfRejectedError } from '../../src/csrf/errors.js';
import { CloakroomError, InvalidRequestError } from '../../src/errors.js';
import { UnauthenticatedError } from '../../src/session/errors.js';
import { StoreUnavailableError } from '../../src/stores/errors.js';
import { CountingHasher, CHEAP, cookieFrom, harness } from './support.js';

const PASSWORD = 'correct horse battery';

/** Resolves to the error a promise rejects with (and fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<CloakroomError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CloakroomError, `a CloakroomError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('Accounts', () => {
  describe('register', () => {
    test('creates the user with an argon2id hash and signs the request in', async () => {
      const h = await harness();
      const { session, setCookies } = await h.request();
      const user = await h.accounts.register(session, { email: ' Ada@Example.COM ', password: PASSWORD });
      assert.equal(user.email, 'ada@example.com');
      assert.deepEqual(Object.keys(user).sort(), ['email', 'id']);
      const stored = await h.users.findByEmail('ada@example.com');
      assert.match(stored!.passwordHash!, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      assert.ok(!stored!.passwordHash!.includes(PASSWORD));
      assert.equal(h.hasher.hashes, 1);
      assert.equal(setCookies.length, 1);
      assert.equal(session.session?.userId, user.id);
      const validated = await h.sessions.validate(h.sessions.readToken(cookieFrom(setCookies[0]!)));
      assert.ok(validated.valid);
    });

    test('a taken email (after normalization) is EmailTakenError; the first account is untouched', async () => {
      const h = await harness();
      await h.accounts.register((await h.request()).session, {
        email: 'ada@example.com',
        password: PASSWORD,
      });
      const before = await h.users.findByEmail('ada@example.com');
      const { session, setCookies } = await h.request();
      const error = await rejection(
        h.accounts.register(session, { email: 'ADA@example.com', password: 'another passphrase' }),
      );
      assert.ok(error instanceof EmailTakenError);
      assert.equal(error.code, 'email_taken');
      assert.deepEqual(await h.users.findByEmail('ada@example.com'), before);
      assert.deepEqual(setCookies, []);
    });

    test('a weak password is refused before any hashing and before the store is asked', async () => {
      const h = await harness();
      for (const [password, reason] of [
        ['short', 'too_short'],
        ['x'.repeat(129), 'too_long'],
        ['y'.repeat(1_000_000), 'too_long'],
        ['password123', 'common'],
        ['ada@example.com', 'contains_email'],
      ] as const) {
        const { session } = await h.request();
        const error = await rejection(h.accounts.register(session, { email: 'ada@example.com', password }));
        assert.ok(error instanceof WeakPasswordError);
        assert.equal(error.reason, reason);
      }
      assert.equal(h.hasher.hashes, 0);
      assert.equal(h.hasher.verifications, 0);
      assert.equal(await h.users.findByEmail('ada@example.com'), null);
    });

    test('non-string or malformed input is InvalidRequestError naming the field', async () => {
      const h = await harness();
      for (const [input, field] of [
        [{ email: 1, password: PASSWORD }, 'email'],
        [{ email: 'nope', password: PASSWORD }, 'email'],
        [{ email: 'ada@example.com', password: null }, 'password'],
        [{ email: 'ada@example.com', password: ['x'] }, 'password'],
      ] as const) {
        const error = await rejection(h.accounts.register((await h.request()).session, input));
        assert.ok(error instanceof InvalidRequestError);
        assert.equal(error.field, field);
      }
      assert.equal(h.hasher.hashes, 0);
    });

    test('registration from a foreign origin is refused (login CSRF) before anything is created', async () => {
      const h = await harness();
      for (const info of [{ origin: 'https://evil.example' }, { origin: null, secFetchSite: 'cross-site' }]) {
        const { session } = await h.request(info);
        const error = await rejection(
          h.accounts.register(session, { email: 'a@example.com', password: PASSWORD }),
        );
        assert.ok(error instanceof CsrfRejectedError);
      }
      assert.equal(h.hasher.hashes, 0);
      assert.equal(await h.users.findByEmail('a@example.com'), null);
    });
  });

  describe('signIn', () => {
    test('the right password signs in with a new session', async () => {
      const h = await harness();
      const user = await h.accounts.register((await h.request()).session, {
        email: 'ada@example.com',
        password: PASSWORD,
      });
      const { session, setCookies } = await h.request();
      assert.deepEqual(
        await h.accounts.signIn(session, { email: 'ADA@example.com', password: PASSWORD }),
        user,
      );
      assert.equal(setCookies.length, 1);
      assert.equal(session.session?.userId, user.id);
    });

    test('unknown email and wrong password: the same error, code and message, after one argon2 verification each', async () => {
      const h = await harness();
      await h.accounts.register((await h.request()).session, {
        email: 'ada@example.com',
        password: PASSWORD,
      });
      // An account without a password (made elsewhere, say by federation) answers the same way too.
      await h.users.create({ id: 'u-nopass', email: 'nopass@example.com', passwordHash: null, createdAt: 0 });
      h.hasher.reset();

      const outcomes: { error: CloakroomError; hashes: number; verifications: number }[] = [];
      for (const email of ['ada@example.com', 'nobody@example.com', 'nopass@example.com']) {
        h.hasher.reset();
        const { session, setCookies } = await h.request();
        const error = await rejection(h.accounts.signIn(session, { email, password: 'wrong password' }));
        assert.deepEqual(setCookies, []);
        outcomes.push({ error, hashes: h.hasher.hashes, verifications: h.hasher.verifications });
      }
      for (const outcome of outcomes) {
        assert.ok(outcome.error instanceof InvalidCredentialsError);
        assert.equal(outcome.error.code, 'invalid_credentials');
        assert.equal(outcome.error.message, outcomes[0]!.error.message);
        assert.equal(outcome.verifications, 1, 'exactly one argon2 verification');
        assert.equal(outcome.hashes, 0, 'no hashing on the way (the dummy hash is made once, at warm-up)');
      }
    });

    test('the dummy hash costs the same as a real one: it is made with the current parameters', async () => {
      const hasher = new CountingHasher(CHEAP);
      const h = await harness({ hasher });
      const stored: string[] = [];
      const original = hasher.verify.bind(hasher);
      hasher.verify = (hash: string, password: string) => {
        stored.push(hash);
        return original(hash, password);
      };
      await h.accounts.register((await h.request()).session, {
        email: 'ada@example.com',
        password: PASSWORD,
      });
      await rejection(
        h.accounts.signIn((await h.request()).session, { email: 'nobody@example.com', password: 'x' }),
      );
      await rejection(
        h.accounts.signIn((await h.request()).session, { email: 'ada@example.com', password: 'x' }),
      );
      const params = stored.map((hash) => /\$m=\d+,t=\d+,p=\d+\$/.exec(hash)?.[0]);
      assert.equal(params.length, 2);
      assert.equal(params[0], params[1]);
    });

    test('a password over 128 characters is refused before any hashing, as invalid credentials', async () => {
      const h = await harness();
      await h.accounts.register((await h.request()).session, {
        email: 'ada@example.com',
        password: PASSWORD,
      });
      h.hasher.reset();
      for (const password of ['z'.repeat(129), '🔑'.repeat(129), 'w'.repeat(5_000_000)]) {
        const error = await rejection(
          h.accounts.signIn((await h.request()).session, { email: 'ada@example.com', password }),
        );
        assert.ok(error instanceof InvalidCredentialsError);
      }
      assert.equal(h.hasher.verifications, 0);
      assert.equal(h.hasher.hashes, 0);
    });

    test('signing in with an existing session ends it: the old token no longer validates', async () => {
      const h = await harness();
      const first = await h.request();
      await h.accounts.register(first.session, { email: 'ada@example.com', password: PASSWORD });
      const oldCookie = cookieFrom(first.setCookies[0]!);
      const second = await h.request({ cookie: oldCookie });
      assert.ok(second.session.session !== null);
      await h.accounts.signIn(second.session, { email: 'ada@example.com', password: PASSWORD });
      assert.notEqual(cookieFrom(second.setCookies[0]!), oldCookie);
      assert.equal((await h.sessions.validate(h.sessions.readToken(oldCookie))).valid, false);
      assert.equal(
        (await h.sessions.validate(h.sessions.readToken(cookieFrom(second.setCookies[0]!)))).valid,
        true,
      );
    });

    test('a throttled attempt is refused before the store lookup and before any hashing', async () => {
      const rule: ThrottleRule = { limit: 2, windowSeconds: 60, freeFailures: 2, maxDelaySeconds: 1 };
      const h = await harness({ throttle: { account: rule } });
      await h.accounts.register((await h.request()).session, {
        email: 'ada@example.com',
        password: PASSWORD,
      });
      for (let i = 0; i < 2; i++) {
        await rejection(
          h.accounts.signIn((await h.request()).session, { email: 'ada@example.com', password: 'x' }),
        );
      }
      h.hasher.reset();
      const error = await rejection(
        h.accounts.signIn((await h.request()).session, { email: 'ada@example.com', password: PASSWORD }),
      );
      assert.ok(error instanceof TooManyAttemptsError);
      assert.equal(error.retryAfterSeconds, 60);
      assert.equal(h.hasher.verifications, 0);
    });

    test('parallel attempts cannot all pass the throttle: each is counted before its password is checked', async () => {
      // A hasher whose verifications all wait at a gate, opened only once every attempt has either reached
      // argon2 or been refused: the worst case for a check-then-count throttle.
      const ATTEMPTS = 10;
      let settled = 0;
      let open: () => void = () => {};
      const gate = new Promise<void>((resolve) => (open = resolve));
      const maybeOpen = () => {
        if (hasher.verifications + settled === ATTEMPTS) open();
      };
      class GatedHasher extends CountingHasher {
        override async verify(stored: string, password: string) {
          const result = super.verify(stored, password);
          maybeOpen();
          await gate;
          return result;
        }
      }
      const hasher = new GatedHasher(CHEAP);
      const rule: ThrottleRule = { limit: 3, windowSeconds: 3600, freeFailures: 3, maxDelaySeconds: 1 };
      const h = await harness({ hasher, throttle: { account: rule } });
      await h.accounts.register((await h.request()).session, {
        email: 'ada@example.com',
        password: PASSWORD,
      });
      h.hasher.reset();
      const codes = await Promise.all(
        Array.from({ length: ATTEMPTS }, async (_, i) => {
          const { session } = await h.request();
          const code = await h.accounts
            .signIn(session, { email: 'ada@example.com', password: `guess ${i}` })
            .then(
              () => 'signed in',
              (error: CloakroomError) => error.code,
            );
          settled += 1;
          maybeOpen();
          return code;
        }),
      );
      assert.equal(codes.filter((code) => code === 'invalid_credentials').length, 3);
      assert.equal(codes.filter((code) => code === 'too_many_attempts').length, ATTEMPTS - 3);
      assert.equal(h.hasher.verifications, 3, 'only the attempts within the cap reached argon2');
    });

    test('a store failure is StoreUnavailableError, never a sign-in or invalid credentials', async () => {
      const users = new MemoryUserStore();
      const h = await harness({ users });
      await h.accounts.register((await h.request()).session, {
        email: 'ada@example.com',
        password: PASSWORD,
      });
      users.findByEmail = () => Promise.reject(new Error('connection reset'));
      const { session, setCookies } = await h.request();
      const error = await rejection(
        h.accounts.signIn(session, { email: 'ada@example.com', password: PASSWORD }),
      );
      assert.ok(error instanceof StoreUnavailableError);
      assert.deepEqual(setCookies, []);

      const attempts = new MemoryAttemptStore();
      const broken = await harness({ attempts });
      attempts.get = (): Promise<AttemptRecord | null> => Promise.reject(new Error('timeout'));
      const refused = await rejection(
        broken.accounts.signIn((await broken.request()).session, {
          email: 'ada@example.com',
          password: PASSWORD,
        }),
      );
      assert.ok(refused instanceof StoreUnavailableError);
    });
  });

  describe('changePassword', () => {
    test('revokes every other session of the user, rotates the current one, and replaces the hash', async () => {
      const h = await harness();
      const first = await h.request();
      const user = await h.accounts.register(first.session, { email: 'ada@example.com', password: PASSWORD });
      const others: string[] = [];
      for (let i = 0; i < 2; i++) {
        const other = await h.request();
        await h.accounts.signIn(other.session, { email: 'ada@example.com', password: PASSWORD });
        others.push(cookieFrom(other.setCookies[0]!));
      }
      // Another user's session must survive.
      const stranger = await h.request();
      await h.accounts.register(stranger.session, { email: 'bob@example.com', password: PASSWORD });

      const cookie = cookieFrom(first.setCookies[0]!);
      const current = await h.request({ cookie });
      const sessionId = current.session.session!.id;
      const result = await h.accounts.changePassword(current.session, {
        currentPassword: PASSWORD,
        newPassword: 'a new passphrase',
      });
      assert.deepEqual(result.user, user);
      assert.notEqual(result.session.id, sessionId, 'a new session id');
      assert.equal(current.setCookies.length, 1, 'the rotated cookie');
      const rotated = cookieFrom(current.setCookies[0]!);
      assert.notEqual(rotated, cookie);

      const valid = async (value: string) => (await h.sessions.validate(h.sessions.readToken(value))).valid;
      assert.equal(await valid(cookie), false, 'the old token of the current session is dead');
      assert.equal(await valid(rotated), true);
      for (const other of others) assert.equal(await valid(other), false, 'other sessions are revoked');
      assert.equal(await valid(cookieFrom(stranger.setCookies[0]!)), true);
      assert.deepEqual(
        (await h.sessions.listUserSessions(user.id)).map((session) => session.id),
        [result.session.id],
      );

      await rejection(
        h.accounts.signIn((await h.request()).session, { email: 'ada@example.com', password: PASSWORD }),
      );
      await h.accounts.signIn((await h.request()).session, {
        email: 'ada@example.com',
        password: 'a new passphrase',
      });
    });

    test('a wrong current password is InvalidCredentialsError and changes nothing', async () => {
      const h = await harness();
      const first = await h.request();
      await h.accounts.register(first.session, { email: 'ada@example.com', password: PASSWORD });
      const before = await h.users.findByEmail('ada@example.com');
      const current = await h.request({ cookie: cookieFrom(first.setCookies[0]!) });
      const error = await rejection(
        h.accounts.changePassword(current.session, {
          currentPassword: 'wrong one',
          newPassword: 'a new passphrase',
        }),
      );
      assert.ok(error instanceof InvalidCredentialsError);
      assert.deepEqual(await h.users.findByEmail('ada@example.com'), before);
      assert.deepEqual(current.setCookies, []);
      assert.ok(current.session.session !== null, 'still signed in');
    });

    test('a weak or over-long new password is refused before any hashing', async () => {
      const h = await harness();
      const first = await h.request();
      await h.accounts.register(first.session, { email: 'ada@example.com', password: PASSWORD });
      const current = await h.request({ cookie: cookieFrom(first.setCookies[0]!) });
      h.hasher.reset();
      for (const newPassword of ['short', 'q'.repeat(129), 'q'.repeat(2_000_000), 'ada@example.com']) {
        const error = await rejection(
          h.accounts.changePassword(current.session, { currentPassword: PASSWORD, newPassword }),
        );
        assert.ok(error instanceof WeakPasswordError);
      }
      assert.equal(h.hasher.hashes, 0);
      assert.equal(h.hasher.verifications, 0);
    });

    test('without a session it is UnauthenticatedError; so too when the user is gone', async () => {
      const h = await harness();
      const anonymous = await h.request();
      const error = await rejection(
        h.accounts.changePassword(anonymous.session, {
          currentPassword: PASSWORD,
          newPassword: 'a new passphrase',
        }),
      );
      assert.ok(error instanceof UnauthenticatedError);

      // A session whose user no longer exists in the user store.
      const orphan = await harness({ users: new MemoryUserStore() });
      const issued = await orphan.sessions.create('ghost');
      const request = await orphan.request({ cookie: cookieFrom(issued.setCookie) });
      const gone = await rejection(
        orphan.accounts.changePassword(request.session, {
          currentPassword: PASSWORD,
          newPassword: 'a new passphrase',
        }),
      );
      assert.ok(gone instanceof UnauthenticatedError);
    });
  });

  test('the user store keeps records it is given, and a second create of an email is EmailTakenError', async () => {
    const users = new MemoryUserStore();
    const record: UserRecord = { id: 'u1', email: 'a@example.com', passwordHash: null, createdAt: 1 };
    await users.create(record);
    record.email = 'mutated@example.com';
    assert.equal((await users.findById('u1'))?.email, 'a@example.com', 'a copy is kept');
    await assert.rejects(users.create({ ...record, id: 'u2', email: 'a@example.com' }), EmailTakenError);
    await users.setPasswordHash('u1', 'h');
    assert.equal((await users.findByEmail('a@example.com'))?.passwordHash, 'h');
    await users.setPasswordHash('missing', 'h');
    assert.equal(await users.findById('missing'), null);
  });
});
