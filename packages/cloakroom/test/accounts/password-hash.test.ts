// argon2id hashing: the OWASP parameters in a versioned (PHC) format, verification, upgrade of old hashes
// at sign-in (checked in the SQLite user table), and no hashing at all for a password over the limit.
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OWASP_ARGON2ID, PasswordHasher } from '../../src/accounts/password-hash.js';
import { SqliteAttemptStore, SqliteUserStore } from '../../src/accounts/stores/sqlite.js';
import { InvalidCredentialsError, WeakPasswordError } from '../../src/accounts/errors.js';
import { CHEAP, CountingHasher, cookieFrom, harness } from './support.js';

const PASSWORD = 'correct horse battery';
const OWASP_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';

describe('PasswordHasher', () => {
  test('the defaults are OWASP argon2id: m=19 MiB, t=2, p=1, in the PHC format', async () => {
    assert.deepEqual(OWASP_ARGON2ID, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const hasher = new PasswordHasher();
    const stored = await hasher.hash(PASSWORD);
    assert.ok(stored.startsWith(OWASP_PREFIX), stored);
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.deepEqual(await hasher.verify(stored, PASSWORD), { valid: true, needsRehash: false });
    assert.deepEqual(await hasher.verify(stored, 'wrong password'), { valid: false, needsRehash: false });
  });

  test('every hash has its own salt', async () => {
    const hasher = new PasswordHasher(CHEAP);
    const [a, b] = await Promise.all([hasher.hash(PASSWORD), hasher.hash(PASSWORD)]);
    assert.notEqual(a, b);
    assert.equal((await hasher.verify(a, PASSWORD)).valid, true);
    assert.equal((await hasher.verify(b, PASSWORD)).valid, true);
  });

  test('a hash made with other parameters verifies and asks for a rehash (only when the password is right)', async () => {
    const old = await new PasswordHasher(CHEAP).hash(PASSWORD);
    const current = new PasswordHasher({ ...CHEAP, timeCost: 2 });
    assert.deepEqual(await current.verify(old, PASSWORD), { valid: true, needsRehash: true });
    assert.deepEqual(await current.verify(old, 'wrong password'), { valid: false, needsRehash: false });
  });

  test('a malformed or foreign stored hash is simply not valid, never an exception', async () => {
    const hasher = new PasswordHasher(CHEAP);
    const good = await hasher.hash(PASSWORD);
    for (const stored of [
      '',
      PASSWORD,
      good.replace('$argon2id$', '$argon2i$'),
      good.replace('$argon2id$', '$argon2d$'),
      good.replace('v=19', 'v=16'),
      good.slice(0, -10),
      `${good}$extra`,
      good.replace(/\$[^$]+$/, '$AAAA'),
      '$argon2id$v=19$m=1024,t=1,p=1$AAAA$AAAA',
      '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
    ]) {
      assert.deepEqual(await hasher.verify(stored, PASSWORD), { valid: false, needsRehash: false }, stored);
    }
  });

  test('verifyDummy fails after one real verification with the current parameters', async () => {
    const hasher = new CountingHasher(CHEAP);
    await hasher.warmUp();
    assert.equal(hasher.hashes, 1, 'the dummy hash is made once');
    hasher.reset();
    assert.equal(await hasher.verifyDummy(PASSWORD), false);
    assert.equal(await hasher.verifyDummy(''), false);
    assert.equal(hasher.verifications, 2);
    assert.equal(hasher.hashes, 0, 'and reused');
  });

  test('sign-in upgrades a hash made with old parameters, in the SQLite user table', async () => {
    const db = new Database(':memory:');
    const users = new SqliteUserStore(db);
    const attempts = new SqliteAttemptStore(db);
    const storedHash = () =>
      (
        db.prepare('SELECT password_hash FROM users WHERE email = ?').get('ada@example.com') as {
          password_hash: string;
        }
      ).password_hash;

    // Registered when the site used cheaper parameters.
    const before = await harness({ users, attempts, hasher: new CountingHasher(CHEAP) });
    await before.accounts.register((await before.request()).session, {
      email: 'ada@example.com',
      password: PASSWORD,
    });
    const old = storedHash();
    assert.ok(old.startsWith('$argon2id$v=19$m=1024,t=1,p=1$'), old);

    // The site now runs with the OWASP parameters.
    const hasher = new CountingHasher();
    const after = await harness({ users, attempts, hasher });

    // A wrong password upgrades nothing.
    await assert.rejects(
      after.accounts.signIn((await after.request()).session, {
        email: 'ada@example.com',
        password: 'wrong one',
      }),
      InvalidCredentialsError,
    );
    assert.equal(storedHash(), old);
    assert.equal(hasher.hashes, 0);

    await after.accounts.signIn((await after.request()).session, {
      email: 'ada@example.com',
      password: PASSWORD,
    });
    const upgraded = storedHash();
    assert.notEqual(upgraded, old);
    assert.ok(upgraded.startsWith(OWASP_PREFIX), upgraded);
    assert.equal(hasher.hashes, 1, 'one new hash');

    // The upgraded hash works, and is not upgraded again.
    hasher.reset();
    await after.accounts.signIn((await after.request()).session, {
      email: 'ada@example.com',
      password: PASSWORD,
    });
    assert.equal(storedHash(), upgraded);
    assert.equal(hasher.hashes, 0);
    assert.equal(hasher.verifications, 1);
    db.close();
  });

  test('a password over 128 characters is refused before any hashing, with the real parameters too', async () => {
    const hasher = new CountingHasher();
    const h = await harness({ hasher });
    const first = await h.request();
    await h.accounts.register(first.session, { email: 'ada@example.com', password: PASSWORD });
    hasher.reset();

    for (const password of ['a'.repeat(129), '🔐'.repeat(129), 'b'.repeat(1024 * 1024)]) {
      await assert.rejects(
        h.accounts.register((await h.request()).session, { email: 'new@example.com', password }),
        (error: unknown) => error instanceof WeakPasswordError && error.reason === 'too_long',
      );
      await assert.rejects(
        h.accounts.signIn((await h.request()).session, { email: 'ada@example.com', password }),
        InvalidCredentialsError,
      );
      const current = await h.request({ cookie: cookieFrom(first.setCookies[0]!) });
      await assert.rejects(
        h.accounts.changePassword(current.session, { currentPassword: PASSWORD, newPassword: password }),
        (error: unknown) => error instanceof WeakPasswordError && error.reason === 'too_long',
      );
    }
    assert.equal(hasher.hashes, 0, 'argon2 never hashed a long password');
    assert.equal(hasher.verifications, 0, 'argon2 never verified one');
    assert.ok(!hasher.seen.some((password) => password.length > 128));

    // 128 characters exactly are hashed as usual.
    await h.accounts.register((await h.request()).session, {
      email: 'max@example.com',
      password: 'm'.repeat(127) + 'M',
    });
    assert.equal(hasher.hashes, 1);
  });
});
