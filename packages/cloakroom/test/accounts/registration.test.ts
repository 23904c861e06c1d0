// Registration as an enumeration oracle (review finding 3): a taken email must cost the same argon2 work as a
// new account (checked by counting hashes, not by timing), and registration is throttled per client address
// before any hashing, with the same error as a throttled sign-in.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REGISTRATION_RULE, type ThrottleRule } from '../../src/accounts/throttle.js';
import type { CloakroomError } from '../../src/errors.js';
import { EmailTakenError, TooManyAttemptsError } from '../../src/accounts/errors.js';
import { MINUTE, SECOND } from '../helpers/clock.js';
import { harness } from './support.js';

const PASSWORD = 'correct horse battery';
const IP = '203.0.113.20';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'registered',
    (error: CloakroomError) => error.code,
  );
}

describe('registration answers', () => {
  test('a taken email spends the same argon2 work as a new registration before it is refused', async () => {
    const h = await harness();
    await h.accounts.register((await h.request()).session, { email: 'ada@example.com', password: PASSWORD });
    assert.equal(h.hasher.hashes, 1, 'a new registration: one hash');
    h.hasher.reset();
    const { session, setCookies } = await h.request();
    const error = await h.accounts
      .register(session, { email: 'ADA@example.com', password: 'another passphrase' })
      .then(
        () => assert.fail('registered twice'),
        (error: unknown) => error,
      );
    assert.ok(error instanceof EmailTakenError);
    assert.equal(h.hasher.hashes, 1, 'a taken email: one hash too');
    assert.deepEqual(h.hasher.seen, ['another passphrase']);
    assert.deepEqual(setCookies, []);
  });
});

describe('registration throttle', () => {
  const RULE: ThrottleRule = { limit: 4, windowSeconds: 600, freeFailures: 2, maxDelaySeconds: 30 };

  test('per address: free attempts, then growing delays, then the cap; refused before any hashing', async () => {
    const h = await harness({ throttle: { registration: RULE } });
    const register = async (email: string, ip = IP) =>
      codeOf(h.accounts.register((await h.request({ ip })).session, { email, password: PASSWORD }));
    assert.equal(await register('a@example.com'), 'registered');
    assert.equal(await register('a@example.com'), 'email_taken', 'a taken email counts too');
    h.hasher.reset();
    const { session } = await h.request({ ip: IP });
    const refused = await h.accounts.register(session, { email: 'b@example.com', password: PASSWORD }).then(
      () => assert.fail('registered'),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof TooManyAttemptsError);
    assert.equal(refused.code, 'too_many_attempts');
    assert.equal(refused.retryAfterSeconds, 1);
    assert.equal(h.hasher.hashes, 0, 'refused before any hashing');
    assert.equal(await h.users.findByEmail('b@example.com'), null);
    assert.equal(
      await register('c@example.com', '198.51.100.7'),
      'registered',
      'another address is not affected',
    );
    h.clock.advance(SECOND);
    assert.equal(await register('b@example.com'), 'registered');
    h.clock.advance(2 * SECOND);
    assert.equal(await register('d@example.com'), 'registered');
    // Four in the window: the cap, until ten minutes after the first.
    assert.equal(await register('e@example.com'), 'too_many_attempts');
    h.clock.advance(10 * MINUTE);
    assert.equal(await register('e@example.com'), 'registered');
  });

  test('a parallel burst cannot pass the cap: at most the free attempts reach argon2', async () => {
    const burst: ThrottleRule = { limit: 5, windowSeconds: 600, freeFailures: 5, maxDelaySeconds: 1 };
    const h = await harness({ throttle: { registration: burst } });
    const codes = await Promise.all(
      Array.from({ length: 50 }, async (_, i) =>
        codeOf(
          h.accounts.register((await h.request({ ip: IP })).session, {
            email: `user${i}@example.com`,
            password: PASSWORD,
          }),
        ),
      ),
    );
    assert.equal(h.hasher.hashes, 5);
    assert.equal(codes.filter((code) => code === 'registered').length, 5);
    assert.equal(codes.filter((code) => code === 'too_many_attempts').length, 45);
  });

  test('the default rule: like sign-in per address, 50 free, then waits up to a minute, at most 1,000 an hour', () => {
    assert.deepEqual(REGISTRATION_RULE, {
      limit: 1000,
      windowSeconds: 3600,
      freeFailures: 50,
      maxDelaySeconds: 60,
    });
  });
});
