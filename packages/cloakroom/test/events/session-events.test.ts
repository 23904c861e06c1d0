// The events the session layer and the accounts emit, through their public API, and the rule that no event
// carries the password, the cookie or the token.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SecurityEvent } from '../../src/events/index.js';
import { CsrfRejectedError } from '../../src/csrf/errors.js';
import { TooManyAttemptsError } from '../../src/accounts/errors.js';
import { StoreUnavailableError } from '../../src/lib/store-unavailable.js';
import { cookieFrom, harness } from '../accounts/support.js';

const PASSWORD = 'correct horse battery staple 1';

async function setUp() {
  const events: SecurityEvent[] = [];
  let hook: (event: SecurityEvent) => void = (event) => {
    events.push(event);
  };
  // One hook, given to the session manager only: the accounts use the manager's by default.
  const h = await harness({}, { onEvent: (event) => hook(event) });
  return {
    ...h,
    events,
    setHook(next: (event: SecurityEvent) => void) {
      hook = next;
    },
  };
}

describe('security events of sessions and accounts', () => {
  test('register, sign out, sign in, failures, password change, sign out everywhere', async () => {
    const h = await setUp();
    const first = await h.request();
    const user = await h.accounts.register(first.session, { email: 'ada@example.com', password: PASSWORD });
    const cookie = cookieFrom(first.setCookies.at(-1)!);
    const registered = h.events.shift();
    assert.equal(registered?.type, 'sign_in.succeeded');
    assert.equal(registered.type === 'sign_in.succeeded' && registered.method, 'registration');
    assert.equal(registered.userId, user.id);
    assert.equal(registered.ip, '192.0.2.1');
    assert.equal(registered.userAgent, 'test');

    const signedIn = await h.request({ cookie });
    await signedIn.session.signOut();
    assert.deepEqual(
      h.events.map((e) => [e.type, e.userId, e.sessionId]),
      [['session.signed_out', user.id, registered.sessionId]],
    );
    h.events.length = 0;

    await assert.rejects(
      h.accounts.signIn((await h.request()).session, { email: 'ada@example.com', password: 'wrong one!!' }),
    );
    await assert.rejects(
      h.accounts.signIn((await h.request()).session, { email: 'bob@example.com', password: PASSWORD }),
    );
    const again = await h.request();
    await h.accounts.signIn(again.session, { email: 'ada@example.com', password: PASSWORD });
    assert.deepEqual(
      h.events.map((e) => [e.type, 'reason' in e ? e.reason : null, e.userId ?? null]),
      [
        ['sign_in.failed', 'wrong_password', user.id],
        ['sign_in.failed', 'unknown_account', null],
        ['sign_in.succeeded', null, user.id],
      ],
    );
    const success = h.events.at(-1);
    assert.ok(success?.type === 'sign_in.succeeded');
    assert.equal(success.method, 'password');
    assert.deepEqual(success.amr, ['pwd']);
    h.events.length = 0;

    // A second device, then a password change from the first: the other session ends.
    const other = await h.request();
    await h.accounts.signIn(other.session, { email: 'ada@example.com', password: PASSWORD });
    const current = await h.request({ cookie: cookieFrom(again.setCookies.at(-1)!) });
    await h.accounts.changePassword(current.session, {
      currentPassword: PASSWORD,
      newPassword: `${PASSWORD} changed`,
    });
    const types = h.events.map((e) => e.type);
    assert.deepEqual(types, ['sign_in.succeeded', 'session.revoked', 'password.changed']);
    const changed = h.events.at(-1);
    assert.ok(changed?.type === 'password.changed');
    assert.equal(changed.via, 'change');
    assert.equal(changed.sessionsEnded, 1);
    h.events.length = 0;

    const everywhere = await h.request({ cookie: cookieFrom(current.setCookies.at(-1)!) });
    assert.equal(await everywhere.session.signOutEverywhere(), 1);
    assert.equal(h.events[0]?.type, 'session.signed_out_everywhere');

    // No event carries a password or a session token (cookie values).
    const text = JSON.stringify(h.events) + JSON.stringify(registered);
    assert.ok(!text.includes(PASSWORD));
    assert.ok(!text.includes('wrong one!!'));
    for (const setCookie of [...first.setCookies, ...again.setCookies, ...current.setCookies]) {
      const value = cookieFrom(setCookie).split('=')[1] ?? '';
      if (value.length > 0) assert.ok(!text.includes(value), 'a cookie value is in an event');
    }
  });

  test('revocation by id and by user says who; a throwing hook changes nothing', async () => {
    const h = await setUp();
    const req = await h.request();
    const user = await h.accounts.register(req.session, { email: 'cy@example.com', password: PASSWORD });
    const sessionId = req.session.session!.id;
    h.events.length = 0;
    await h.sessions.revoke(sessionId, { by: 'admin', userId: user.id });
    await h.sessions.revokeUserSessions(user.id, { by: 'admin' }); // none left: no event
    assert.deepEqual(
      h.events.map((e) => e.type === 'session.revoked' && [e.by, e.sessionId, e.userId, e.count]),
      [['admin', sessionId, user.id, 1]],
    );

    h.setHook(() => {
      throw new Error('hook down');
    });
    const next = await h.request();
    await h.accounts.signIn(next.session, { email: 'cy@example.com', password: PASSWORD });
    assert.ok(next.session.session !== null);
  });

  test('reauthenticate: session.reauthenticated with the method (default unspecified), the new and old ids; none without a session', async () => {
    const h = await setUp();
    const first = await h.request();
    const user = await h.accounts.register(first.session, { email: 'ed@example.com', password: PASSWORD });
    const previous = first.session.session!.id;
    const signedIn = await h.request({ cookie: cookieFrom(first.setCookies.at(-1)!) });
    h.events.length = 0;
    const rotated = await signedIn.session.reauthenticate({ amr: ['pwd'], method: 'password' });
    assert.ok(rotated !== null);
    assert.deepEqual(
      h.events.map(
        (e) =>
          e.type === 'session.reauthenticated' && [
            e.userId,
            e.sessionId,
            e.previousSessionId,
            e.method,
            e.amr,
          ],
      ),
      [[user.id, rotated.id, previous, 'password', ['pwd']]],
    );
    const event = h.events[0]!;
    assert.equal(event.ip, '192.0.2.1');
    assert.equal(event.userAgent, 'test');

    h.events.length = 0;
    const again = await h.request({ cookie: cookieFrom(signedIn.setCookies.at(-1)!) });
    await again.session.reauthenticate({ amr: ['otp'] });
    assert.equal(h.events[0]?.type === 'session.reauthenticated' && h.events[0].method, 'unspecified');

    h.events.length = 0;
    assert.equal(await (await h.request()).session.reauthenticate({ amr: ['pwd'] }), null);
    assert.deepEqual(h.events, [], 'no session, no event');
  });

  test('throttled sign-in, CSRF refusals and a failing store are events', async () => {
    const h = await setUp();
    // Cross-site sign-in (login CSRF).
    const foreign = await h.request({ origin: 'https://evil.example', secFetchSite: 'cross-site' });
    assert.throws(() => foreign.session.assertLoginOrigin(), CsrfRejectedError);
    // Cross-site POST with a session cookie.
    const req = await h.request();
    await h.accounts.register(req.session, { email: 'di@example.com', password: PASSWORD });
    await assert.rejects(
      h.request({
        cookie: cookieFrom(req.setCookies.at(-1)!),
        origin: 'https://evil.example',
        secFetchSite: 'cross-site',
      }),
      CsrfRejectedError,
    );
    const csrf = h.events.filter((e) => e.type === 'csrf.rejected');
    assert.deepEqual(
      csrf.map((e) => e.type === 'csrf.rejected' && e.check),
      ['login', 'session'],
    );

    h.events.length = 0;
    let throttled = false;
    for (let i = 0; i < 50 && !throttled; i += 1) {
      try {
        await h.accounts.signIn((await h.request()).session, {
          email: 'di@example.com',
          password: 'nope nope',
        });
      } catch (error) {
        throttled = error instanceof TooManyAttemptsError;
      }
    }
    assert.ok(throttled);
    const last = h.events.at(-1);
    assert.ok(last?.type === 'sign_in.throttled');
    assert.equal(last.action, 'sign_in');
    assert.ok(last.retryAfterSeconds > 0);

    // The store fails: validation is a 503 and an event.
    h.events.length = 0;
    const store = h.sessions.config.store as unknown as { getNow: unknown };
    store.getNow = () => Promise.reject(new Error('connection refused'));
    await assert.rejects(h.request({ cookie: cookieFrom(req.setCookies.at(-1)!) }), StoreUnavailableError);
    assert.deepEqual(
      h.events.map((e) => e.type === 'store.unavailable' && e.operation),
      ['validate'],
    );
  });
});
