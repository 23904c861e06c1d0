// The login-origin rule (login CSRF), applied in one place: RequestSession.assertLoginOrigin, which signIn and
// the Accounts sign-in paths call, and which routes call before reading a sign-in body.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CsrfRejectedError } from '../../src/csrf/errors.js';
import { createSessionManager } from '../../src/session/manager.js';
import { loadRequestSession, type RequestInfo } from '../../src/session/request-session.js';
import { MemoryStore } from '../../src/stores/memory.js';

const ORIGIN = 'https://app.example';

function setUp() {
  const store = new MemoryStore();
  const sessions = createSessionManager({ store, origin: ORIGIN, keys: ['l'.repeat(32)] });
  const request = (headers: Partial<RequestInfo>) => {
    const info: RequestInfo = {
      method: 'POST',
      cookie: null,
      origin: null,
      secFetchSite: null,
      userAgent: null,
      ip: null,
      ...headers,
    };
    const setCookies: string[] = [];
    return loadRequestSession(sessions, info, (value) => setCookies.push(value)).then((session) => ({
      session,
      setCookies,
    }));
  };
  return { store, request };
}

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof CsrfRejectedError);
    return error.reason;
  }
  return null;
};

describe('RequestSession.assertLoginOrigin', () => {
  test('lets through the site itself, and a request with neither header (no ambient credential yet)', async () => {
    const { request } = setUp();
    for (const headers of [
      { origin: ORIGIN },
      { secFetchSite: 'same-origin' },
      { secFetchSite: 'none' },
      { origin: ORIGIN, secFetchSite: 'same-origin' },
      {},
    ]) {
      const { session } = await request(headers);
      assert.equal(
        refusal(() => session.assertLoginOrigin()),
        null,
        JSON.stringify(headers),
      );
    }
  });

  test('refuses a foreign context with the reason', async () => {
    const { request } = setUp();
    for (const [headers, reason] of [
      [{ secFetchSite: 'cross-site' }, 'cross_site_fetch'],
      [{ secFetchSite: 'same-site', origin: ORIGIN }, 'same_site_fetch'],
      [{ origin: 'https://evil.example' }, 'untrusted_origin'],
      [{ origin: 'null' }, 'untrusted_origin'],
    ] as const) {
      const { session } = await request(headers);
      assert.equal(
        refusal(() => session.assertLoginOrigin()),
        reason,
        JSON.stringify(headers),
      );
    }
  });

  test('signIn applies it first: a refused sign-in creates no session and sets no cookie', async () => {
    const { store, request } = setUp();
    const { session, setCookies } = await request({ origin: 'https://evil.example' });
    await assert.rejects(session.signIn('u-1'), CsrfRejectedError);
    assert.equal(session.session, null);
    assert.deepEqual(setCookies, []);
    assert.deepEqual(await store.listByUser('u-1'), []);
    const allowed = await request({ origin: ORIGIN });
    await allowed.session.signIn('u-1');
    assert.equal((await store.listByUser('u-1')).length, 1);
  });
});
