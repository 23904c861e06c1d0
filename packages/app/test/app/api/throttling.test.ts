// Sign-in throttling over HTTP, with tight rules and an injected clock (no sleeping): growing delays, the
// hard cap, per-address limits, 429 with an integer Retry-After, state kept in the shared SQLite store so it
// holds across two server instances on one data folder, and concurrent attempts that cannot beat the cap.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { ThrottleRule } from '../../../../cloakroom/src/accounts/throttle.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { HOUR, ManualClock, MINUTE, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { ApiClient, assertError, uniqueEmail, type ApiResponse } from './client.js';

const PASSWORD = 'correct horse battery';
const WRONG = 'not the password';

/** 2 free failures, then 1 s, 2 s, 4 s … (at most 60 s) between attempts, and at most 6 failures an hour. */
const ACCOUNT: ThrottleRule = { limit: 6, windowSeconds: 3600, freeFailures: 2, maxDelaySeconds: 60 };
const LOOSE: ThrottleRule = { limit: 10_000, windowSeconds: 3600, freeFailures: 10_000, maxDelaySeconds: 1 };

function assertThrottled(response: ApiResponse, retryAfterSeconds?: number): number {
  assertError(response, 429, 'too_many_attempts');
  const header = response.headers.get('retry-after');
  assert.match(header ?? '', /^[1-9]\d*$/, 'Retry-After is a whole number of seconds');
  if (retryAfterSeconds !== undefined) assert.equal(Number(header), retryAfterSeconds);
  assert.equal(response.cookie, undefined, 'no session');
  return Number(header);
}

describe('sign-in throttling over HTTP', () => {
  const started: TestApp[] = [];
  const folders: string[] = [];
  afterEach(async () => {
    for (const app of started.splice(0)) await app.stop();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  const start = async (options: Parameters<typeof startTestApp>[0]) => {
    const app = await startTestApp(options);
    started.push(app);
    return app;
  };

  test('per account: free failures, then growing delays, then the hourly cap; 429 even for the right password', async () => {
    const clock = new ManualClock();
    const app = await start({ clock, throttle: { account: ACCOUNT, address: LOOSE } });
    const email = uniqueEmail();
    await new ApiClient(app).register(email);
    const client = new ApiClient(app);
    const attempt = (password: string) => client.post('/api/auth/login', { email, password });

    assertError(await attempt(WRONG), 401, 'invalid_credentials');
    assertError(await attempt(WRONG), 401, 'invalid_credentials');
    // Two failures: the next attempt waits 1 s, then 2 s, then 4 s, 8 s.
    for (const delay of [1, 2, 4, 8]) {
      assertThrottled(await attempt(WRONG), delay);
      assertThrottled(await attempt(PASSWORD), delay); // the right password is not even checked
      clock.advance(delay * SECOND - 1);
      assertThrottled(await attempt(PASSWORD), 1);
      clock.advance(1);
      assertError(await attempt(WRONG), 401, 'invalid_credentials');
    }
    // Six failures in this hour: refused until the window (from the first failure) ends.
    const elapsed = 15 * SECOND; // 1 + 2 + 4 + 8 seconds since the first failure
    assertThrottled(await attempt(PASSWORD), Math.ceil((HOUR - elapsed) / SECOND));
    clock.advance(30 * MINUTE);
    assertThrottled(await attempt(PASSWORD), Math.ceil((30 * MINUTE - elapsed) / SECOND));
    clock.advance(30 * MINUTE - elapsed);
    const signedIn = await attempt(PASSWORD);
    assert.equal(signedIn.status, 200, 'a new window');
    assert.ok(signedIn.cookie);
  });

  test('an unknown email is throttled exactly like a real one (no way to tell them apart)', async () => {
    const clock = new ManualClock();
    const app = await start({ clock, throttle: { account: ACCOUNT, address: LOOSE } });
    const known = uniqueEmail();
    await new ApiClient(app).register(known);
    const unknown = uniqueEmail('nobody');
    const client = new ApiClient(app);
    const answers: [number, string | null][][] = [[], []];
    for (const [index, email] of [known, unknown].entries()) {
      for (let i = 0; i < 4; i++) {
        const response = await client.post('/api/auth/login', { email, password: WRONG });
        answers[index]!.push([response.status, response.headers.get('retry-after')]);
      }
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(
      answers[0]!.map(([status]) => status),
      [401, 401, 429, 429],
    );
  });

  test('a successful sign-in clears the account count', async () => {
    const clock = new ManualClock();
    const app = await start({ clock, throttle: { account: ACCOUNT, address: LOOSE } });
    const email = uniqueEmail();
    await new ApiClient(app).register(email);
    const client = new ApiClient(app);
    assertError(await client.post('/api/auth/login', { email, password: WRONG }), 401, 'invalid_credentials');
    assertError(await client.post('/api/auth/login', { email, password: WRONG }), 401, 'invalid_credentials');
    clock.advance(SECOND);
    await client.login(email);
    // Two free failures again.
    assertError(await client.post('/api/auth/login', { email, password: WRONG }), 401, 'invalid_credentials');
    assertError(await client.post('/api/auth/login', { email, password: WRONG }), 401, 'invalid_credentials');
    assertThrottled(await client.post('/api/auth/login', { email, password: WRONG }), 1);
  });

  test('per address, across accounts; a success does not clear the address count', async () => {
    const clock = new ManualClock();
    const address: ThrottleRule = { limit: 4, windowSeconds: 600, freeFailures: 4, maxDelaySeconds: 1 };
    const app = await start({ clock, throttle: { account: LOOSE, address } });
    const mine = uniqueEmail();
    await new ApiClient(app).register(mine);
    const client = new ApiClient(app);
    for (let i = 0; i < 3; i++) {
      const response = await client.post('/api/auth/login', {
        email: uniqueEmail('stuffed'),
        password: WRONG,
      });
      assertError(response, 401, 'invalid_credentials');
    }
    await client.login(mine);
    assertError(
      await client.post('/api/auth/login', { email: mine, password: WRONG }),
      401,
      'invalid_credentials',
    );
    // Four failures from this address: every account is refused from here, for the rest of the window.
    assertThrottled(await client.post('/api/auth/login', { email: mine, password: PASSWORD }), 600);
    assertThrottled(await client.post('/api/auth/login', { email: uniqueEmail(), password: WRONG }), 600);
    clock.advance(10 * MINUTE);
    await client.login(mine);
  });

  test('a wrong current password on /api/auth/password is throttled like a sign-in', async () => {
    const clock = new ManualClock();
    const app = await start({ clock, throttle: { account: ACCOUNT, address: LOOSE } });
    const client = new ApiClient(app);
    await client.register(uniqueEmail());
    const change = (currentPassword: string) =>
      client.post('/api/auth/password', { currentPassword, newPassword: 'a brand new passphrase' });
    assertError(await change(WRONG), 401, 'invalid_credentials');
    assertError(await change(WRONG), 401, 'invalid_credentials');
    assertThrottled(await change(PASSWORD), 1);
    assert.equal((await client.get('/api/me')).status, 200, 'throttling does not sign the user out');
    clock.advance(SECOND);
    assert.equal((await change(PASSWORD)).status, 200);
  });

  test('the state lives in the shared store: two server instances on one data folder see the same counts', async () => {
    const clock = new ManualClock();
    const dataDir = mkdtempSync(join(tmpdir(), 'cloakroom-throttle-'));
    folders.push(dataDir);
    const throttle = { account: ACCOUNT, address: LOOSE };
    const first = await start({ clock, throttle, dataDir });
    const second = await start({ clock, throttle, dataDir });
    const email = uniqueEmail();
    await new ApiClient(first).register(email);

    const onFirst = new ApiClient(first);
    const onSecond = new ApiClient(second);
    assertError(
      await onFirst.post('/api/auth/login', { email, password: WRONG }),
      401,
      'invalid_credentials',
    );
    assertError(
      await onSecond.post('/api/auth/login', { email, password: WRONG }),
      401,
      'invalid_credentials',
    );
    // Two failures, one on each: both instances now make the account wait.
    assertThrottled(await onFirst.post('/api/auth/login', { email, password: PASSWORD }), 1);
    assertThrottled(await onSecond.post('/api/auth/login', { email, password: PASSWORD }), 1);
    clock.advance(SECOND);
    assertError(
      await onSecond.post('/api/auth/login', { email, password: WRONG }),
      401,
      'invalid_credentials',
    );
    assertThrottled(await onFirst.post('/api/auth/login', { email, password: PASSWORD }), 2);

    // A success on one clears the count for both.
    clock.advance(2 * SECOND);
    await onFirst.login(email);
    assertError(
      await onSecond.post('/api/auth/login', { email, password: WRONG }),
      401,
      'invalid_credentials',
    );
    // And a session made on one instance works on the other (same keys, same store).
    assert.equal((await onSecond.get('/api/me', { cookie: onFirst.cookie })).status, 200);
  });

  test('concurrent attempts cannot beat the hard cap', async () => {
    const clock = new ManualClock();
    const cap: ThrottleRule = { limit: 3, windowSeconds: 3600, freeFailures: 3, maxDelaySeconds: 1 };
    const app = await start({ clock, throttle: { account: cap, address: LOOSE } });
    const email = uniqueEmail();
    await new ApiClient(app).register(email);
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        new ApiClient(app).post('/api/auth/login', { email, password: `${WRONG} ${i}` }),
      ),
    );
    const checked = responses.filter((response) => response.status === 401).length;
    for (const response of responses) {
      if (response.status === 401) assertError(response, 401, 'invalid_credentials');
      else assertThrottled(response);
    }
    assert.ok(checked <= 3, `${checked} passwords were checked in parallel against a cap of 3`);
    assertThrottled(await new ApiClient(app).post('/api/auth/login', { email, password: PASSWORD }));
  });

  test('concurrent attempts cannot skip the growing delays either', async () => {
    const clock = new ManualClock();
    const app = await start({ clock, throttle: { account: ACCOUNT, address: LOOSE } });
    const email = uniqueEmail();
    await new ApiClient(app).register(email);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        new ApiClient(app).post('/api/auth/login', { email, password: `${WRONG} ${i}` }),
      ),
    );
    const checked = responses.filter((response) => response.status === 401).length;
    // Two free failures, then a delay: a burst gets the free ones and nothing more.
    assert.ok(checked <= ACCOUNT.freeFailures, `${checked} passwords checked in one burst`);
    assert.ok(checked >= 1);
  });
});
