import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRequestOrigin, isUnsafeMethod, type OriginCheckMode } from '../../src/csrf/check.js';
import { CsrfRejectedError } from '../../src/csrf/errors.js';
import { loadRequestSession, type RequestInfo } from '../../src/session/request-session.js';
import { createSessionManager } from '../../src/session/manager.js';
import { MemoryStore } from '../../src/stores/memory.js';

const SITE = 'https://example.com';
const EXTRA = 'https://admin.example.net';
const TRUSTED: ReadonlySet<string> = new Set([SITE, EXTRA]);
const UNSAFE = ['POST', 'PUT', 'PATCH', 'DELETE'];
const SAFE = ['GET', 'HEAD', 'OPTIONS'];
const MODES: OriginCheckMode[] = ['session', 'login'];

function check(origin: string | null, secFetchSite: string | null, mode: OriginCheckMode = 'session') {
  return checkRequestOrigin({ method: 'POST', origin, secFetchSite }, TRUSTED, mode);
}

describe('isUnsafeMethod', () => {
  test('POST, PUT, PATCH and DELETE are unsafe, in any case', () => {
    for (const method of UNSAFE) {
      assert.equal(isUnsafeMethod(method), true, method);
      assert.equal(isUnsafeMethod(method.toLowerCase()), true, method.toLowerCase());
      assert.equal(isUnsafeMethod(method[0] + method.slice(1).toLowerCase()), true);
    }
  });

  test('GET, HEAD, OPTIONS (and other safe methods) are not', () => {
    for (const method of [...SAFE, 'get', 'head', 'options', 'TRACE']) {
      assert.equal(isUnsafeMethod(method), false, method);
    }
  });

  test('near-miss method names are not unsafe methods', () => {
    for (const method of ['', 'POST ', ' POST', 'POSTS', 'PO ST', 'P0ST']) {
      assert.equal(isUnsafeMethod(method), false, JSON.stringify(method));
    }
  });
});

describe('checkRequestOrigin', () => {
  test('the method plays no part: the caller decides when the check applies', () => {
    for (const method of [...UNSAFE, ...SAFE, 'post', 'get']) {
      assert.equal(
        checkRequestOrigin({ method, origin: null, secFetchSite: 'cross-site' }, TRUSTED),
        'cross_site_fetch',
      );
      assert.equal(checkRequestOrigin({ method, origin: SITE, secFetchSite: 'same-origin' }, TRUSTED), null);
    }
  });

  for (const mode of MODES) {
    describe(`${mode} mode`, () => {
      test('Sec-Fetch-Site: cross-site is refused, even with a trusted Origin', () => {
        assert.equal(check(null, 'cross-site', mode), 'cross_site_fetch');
        assert.equal(check(SITE, 'cross-site', mode), 'cross_site_fetch');
        assert.equal(check('https://evil.example', 'cross-site', mode), 'cross_site_fetch');
      });

      test('Sec-Fetch-Site: same-site is refused (a sibling subdomain is not the site)', () => {
        assert.equal(check(null, 'same-site', mode), 'same_site_fetch');
        assert.equal(check(SITE, 'same-site', mode), 'same_site_fetch');
        assert.equal(check('https://sub.example.com', 'same-site', mode), 'same_site_fetch');
      });

      test('Sec-Fetch-Site is read case-insensitively and trimmed', () => {
        assert.equal(check(SITE, 'Cross-Site', mode), 'cross_site_fetch');
        assert.equal(check(SITE, ' CROSS-SITE ', mode), 'cross_site_fetch');
        assert.equal(check(SITE, 'SAME-SITE', mode), 'same_site_fetch');
      });

      test('a trusted Origin is allowed, with same-origin, none or no Sec-Fetch-Site', () => {
        for (const origin of [SITE, EXTRA]) {
          assert.equal(check(origin, 'same-origin', mode), null);
          assert.equal(check(origin, 'none', mode), null);
          assert.equal(check(origin, null, mode), null);
        }
      });

      test('an Origin that is not exactly trusted is refused (scheme, host and port)', () => {
        const untrusted = [
          'http://example.com', // scheme
          'https://example.com:8443', // port
          'https://example.com:443', // explicit default port is not the serialized origin
          'https://sub.example.com', // sub-domain
          'https://example.com.evil.net', // suffix
          'https://evilexample.com',
          'https://example.co',
          'https://example.com/', // trailing slash
          'https://example.com/path',
          'https://EXAMPLE.com', // browsers send lower case; anything else is not what we trust
          'https://user@example.com',
          'null',
          'NULL',
          '',
          'example.com',
          '*',
          'https://admin.example.net.evil',
          'http://admin.example.net',
          `${SITE} ${EXTRA}`,
          `${SITE},${EXTRA}`,
        ];
        for (const origin of untrusted) {
          for (const site of ['same-origin', 'none', null]) {
            assert.equal(check(origin, site, mode), 'untrusted_origin', `${origin} with ${String(site)}`);
          }
        }
      });

      test('Sec-Fetch-Site: same-origin or none without Origin is allowed', () => {
        assert.equal(check(null, 'same-origin', mode), null);
        assert.equal(check(null, 'none', mode), null);
        assert.equal(check(null, 'Same-Origin', mode), null);
      });
    });
  }

  test('both headers missing: refused in session mode, allowed in login mode', () => {
    assert.equal(check(null, null, 'session'), 'missing_origin');
    assert.equal(check(null, null), 'missing_origin', 'session is the default mode');
    assert.equal(check(null, null, 'login'), null);
  });

  test('an unknown Sec-Fetch-Site without Origin counts as no header', () => {
    for (const site of [
      '',
      ' ',
      'same-origin, cross-site',
      'cross-site, same-origin',
      'sameorigin',
      'nonee',
    ]) {
      assert.equal(check(null, site, 'session'), 'missing_origin', JSON.stringify(site));
      assert.equal(check(null, site, 'login'), null, JSON.stringify(site));
    }
  });

  test('an unknown Sec-Fetch-Site with a trusted Origin goes by the Origin', () => {
    assert.equal(check(SITE, 'weird', 'session'), null);
    assert.equal(check('https://evil.example', 'weird', 'session'), 'untrusted_origin');
  });

  test('only the given trusted origins count', () => {
    const onlySite = new Set([SITE]);
    assert.equal(
      checkRequestOrigin({ method: 'POST', origin: EXTRA, secFetchSite: null }, onlySite),
      'untrusted_origin',
    );
    assert.equal(
      checkRequestOrigin({ method: 'POST', origin: SITE, secFetchSite: null }, new Set()),
      'untrusted_origin',
    );
  });
});

describe('trusted origins from the manager', () => {
  test('the site origin and extra origins are normalised once and then compared exactly', () => {
    const manager = createSessionManager({
      store: new MemoryStore(),
      origin: 'https://Example.COM:443/',
      keys: ['k'.repeat(32)],
      trustedOrigins: ['https://Admin.Example.net/', 'https://app.example.org:8443'],
    });
    assert.deepEqual(
      [...manager.config.trustedOrigins].sort(),
      ['https://admin.example.net', 'https://app.example.org:8443', 'https://example.com'].sort(),
    );
    const trusted = manager.config.trustedOrigins;
    assert.equal(
      checkRequestOrigin(
        { method: 'POST', origin: 'https://app.example.org:8443', secFetchSite: null },
        trusted,
      ),
      null,
    );
    assert.equal(
      checkRequestOrigin({ method: 'POST', origin: 'https://app.example.org', secFetchSite: null }, trusted),
      'untrusted_origin',
    );
  });

  test('a trusted origin with a path is a TypeError', () => {
    assert.throws(
      () =>
        createSessionManager({
          store: new MemoryStore(),
          origin: SITE,
          keys: ['k'.repeat(32)],
          trustedOrigins: ['https://admin.example.net/app'],
        }),
      TypeError,
    );
  });
});

describe('the check as loadRequestSession applies it', () => {
  const now = Date.UTC(2026, 0, 1);
  const clock = { now: () => now };

  async function setup() {
    const manager = createSessionManager({
      store: new MemoryStore({ clock }),
      clock,
      origin: SITE,
      keys: ['k'.repeat(32)],
    });
    const { token } = await manager.create('user-1');
    return { manager, cookie: `${manager.cookieName}=${token}` };
  }

  function info(
    method: string,
    cookie: string | null,
    origin: string | null,
    secFetchSite: string | null,
  ): RequestInfo {
    return { method, cookie, origin, secFetchSite, userAgent: null, ip: null };
  }

  test('unsafe methods carrying the session cookie are refused cross-site', async () => {
    const { manager, cookie } = await setup();
    for (const method of [...UNSAFE, ...UNSAFE.map((m) => m.toLowerCase())]) {
      await assert.rejects(
        loadRequestSession(
          manager,
          info(method, cookie, 'https://evil.example', 'cross-site'),
          () => undefined,
        ),
        (error: unknown) =>
          error instanceof CsrfRejectedError &&
          error.code === 'csrf_rejected' &&
          error.reason === 'cross_site_fetch',
        method,
      );
      await assert.rejects(
        loadRequestSession(manager, info(method, cookie, null, null), () => undefined),
        (error: unknown) => error instanceof CsrfRejectedError && error.reason === 'missing_origin',
        method,
      );
      const ok = await loadRequestSession(
        manager,
        info(method, cookie, SITE, 'same-origin'),
        () => undefined,
      );
      assert.equal(ok.session?.userId, 'user-1');
    }
  });

  test('safe methods are not checked: a cross-site GET keeps its session', async () => {
    const { manager, cookie } = await setup();
    for (const method of [...SAFE, ...SAFE.map((m) => m.toLowerCase())]) {
      const loaded = await loadRequestSession(
        manager,
        info(method, cookie, 'null', 'cross-site'),
        () => undefined,
      );
      assert.equal(loaded.session?.userId, 'user-1', method);
    }
  });

  test('unsafe methods without the session cookie are not checked', async () => {
    const { manager } = await setup();
    for (const method of UNSAFE) {
      const loaded = await loadRequestSession(
        manager,
        info(method, 'theme=dark', 'https://evil.example', 'cross-site'),
        () => undefined,
      );
      assert.equal(loaded.session, null);
    }
  });
});
