import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkRequestOrigin, isUnsafeMethod } from '../../src/csrf/check.js';
import { CsrfRejectedError } from '../../src/csrf/errors.js';
import {
  loadRequestSession,
  type RequestInfo,
  type RequestSession,
} from '../../src/session/request-session.js';
import { readSessionCookie } from '../../src/session/cookie.js';
import { createSessionManager } from '../../src/session/manager.js';
import { MAX_TOKEN_LENGTH } from '../../src/session/token.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { SessionUser } from '../../src/stores/types.js';
import { HOST_NAME, OTHER_TOKEN, PLAIN_NAME, TOKEN } from '../vectors/cookie-headers.js';
import {
  anyString,
  B64URL_ALPHABET,
  base64url,
  CountingStore,
  cookieHeader,
  nearMissToken,
  params,
  T0,
  tokenShaped,
} from './support.js';
import { bounded, fuzzParameters } from '../helpers/fuzz.js';

/**
 * An independent reading of RFC 6265bis: split on `;`, skip pairs without `=` (nameless cookies), trim
 * spaces and tabs around name and value. Exactly one pair with our name, of 1 to 64 characters, is a
 * session cookie; none, several, an empty or an oversize one is not.
 */
function referenceRead(header: string, name: string): string | null {
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    if (trimOws(pair.slice(0, eq)) === name) values.push(trimOws(pair.slice(eq + 1)));
  }
  const [value] = values;
  return values.length === 1 && value !== undefined && value.length > 0 && value.length <= MAX_TOKEN_LENGTH
    ? value
    : null;
}

function trimOws(text: string): string {
  const ows = (c: string | undefined) => c === ' ' || c === '\t';
  let start = 0;
  let end = text.length;
  while (start < end && ows(text[start])) start++;
  while (end > start && ows(text[end - 1])) end--;
  return text.slice(start, end);
}

/** Valid configured cookie names, with and without the `__Host-` prefix the https origin adds. */
const cookieName = fc.oneof(
  fc.constantFrom(HOST_NAME, PLAIN_NAME),
  fc
    .tuple(
      fc.boolean(),
      fc.string({ unit: fc.constantFrom(...B64URL_ALPHABET), minLength: 1, maxLength: 12 }),
    )
    .map(([prefixed, base]) => (prefixed ? `__Host-${base}` : base)),
);

/** Cookie values: tokens, near-misses, noise, empty and oversize. */
const cookieValue = fc.oneof(
  fc.constantFrom(TOKEN, OTHER_TOKEN, '', '""', '=', 'A'.repeat(64), 'A'.repeat(65)),
  nearMissToken([TOKEN, OTHER_TOKEN]),
  tokenShaped,
  base64url(3),
  anyString,
  fc.integer({ min: 60, max: 70 }).chain((n) => base64url(n)),
);

describe('readSessionCookie (property)', () => {
  test('arbitrary text: never throws, and agrees with the reference reading', () => {
    const header = fc.oneof(
      anyString,
      fc.tuple(anyString, cookieName, anyString).map(([a, name, b]) => `${a}${name}=${b}`),
    );
    fc.assert(
      fc.property(cookieName, header, (name, text) => {
        const value = readSessionCookie(text, name);
        assert.equal(value, referenceRead(text, name));
        if (value !== null) assert.ok(value.length <= MAX_TOKEN_LENGTH);
      }),
      fuzzParameters('cookie-header (arbitrary text)'),
    );
  });

  test('headers built from cookie-ish fragments: agrees with the reference reading', () => {
    const named = cookieName.chain((name) => fc.tuple(fc.constant(name), cookieHeader(name, cookieValue)));
    let found = 0;
    fc.assert(
      fc.property(named, ([name, header]) => {
        const value = bounded(() => readSessionCookie(header, name));
        assert.equal(value, referenceRead(header, name));
        if (value !== null) found++;
      }),
      fuzzParameters('cookie-header (cookie-ish fragments)'),
    );
    // The generator must reach the interesting case, not only produce "no cookie".
    assert.ok(found > 200, `only ${found} headers carried exactly one session cookie`);
  });

  test('our cookie name repeated means no session, however the copies are spaced and mixed', () => {
    const separator = fc.constantFrom(';', '; ', ';\t', ' ; ', ';;', '; a=1; ', `; x${HOST_NAME}=y; `);
    const equals = fc.constantFrom('=', ' =', '\t=', ' = ');
    const copy = fc.tuple(fc.constantFrom('', ' ', '\t'), equals, cookieValue, separator);
    fc.assert(
      fc.property(fc.array(copy, { minLength: 2, maxLength: 6 }), anyString, (copies, prefix) => {
        const header = `a=${prefix.replaceAll(';', '')}; ${copies.map(([lead, eq, value, sep]) => `${lead}${HOST_NAME}${eq}${value.replaceAll(';', '')}${sep}`).join('')}`;
        assert.equal(readSessionCookie(header, HOST_NAME), null);
      }),
      params(500),
    );
  });

  test('non-string headers mean no session, and the manager reads with its own name', () => {
    const manager = createSessionManager({
      store: new MemoryStore(),
      origin: 'https://example.com',
      keys: ['k'.repeat(32)],
    });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), cookieHeader(HOST_NAME, cookieValue)), (header) => {
        const value = manager.readToken(header as string);
        if (typeof header !== 'string') assert.equal(value, null);
        else assert.equal(value, readSessionCookie(header, HOST_NAME));
      }),
      params(500),
    );
  });
});

describe('loadRequestSession (property)', () => {
  const SITE = 'https://example.com';
  const EXTRA = 'https://admin.example.net';

  test('never throws anything but a CSRF refusal, and signs in only genuine tokens from vouched requests', async () => {
    let now = T0;
    const clock = { now: () => now };
    const inner = new MemoryStore({ clock });
    const store = new CountingStore(inner);
    const manager = createSessionManager({
      store,
      clock,
      origin: SITE,
      trustedOrigins: [EXTRA],
      keys: ['k'.repeat(32)],
    });
    const live = new Map<string, string>();
    for (let i = 0; i < 8; i++) {
      const { token, session } = await manager.create(`user-${i}`);
      live.set(token, session.id);
    }
    const genuine = [...live.keys()];
    const name = manager.cookieName;

    const method = fc.oneof(
      fc.constantFrom(
        'GET',
        'HEAD',
        'OPTIONS',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
        'post',
        'delete',
        'Patch',
        'TRACE',
      ),
      anyString,
    );
    const origin = fc.oneof(
      fc.constant(null),
      fc.constantFrom(
        SITE,
        EXTRA,
        'null',
        'http://example.com',
        `${SITE}/`,
        `${SITE}:443`,
        'https://sub.example.com',
        '',
      ),
      anyString,
    );
    const secFetchSite = fc.oneof(
      fc.constant(null),
      fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none', 'Same-Origin', ' CROSS-SITE ', ''),
      anyString,
    );
    const value = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...genuine) },
      { weight: 3, arbitrary: nearMissToken(genuine) },
      { weight: 1, arbitrary: cookieValue },
    );
    const cookie = fc.oneof(
      fc.constant(null),
      { weight: 3, arbitrary: fc.constantFrom(...genuine).map((t) => `${name}=${t}`) },
      { weight: 3, arbitrary: cookieHeader(name, value) },
      anyString,
    );

    let signedIn = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ method, origin, secFetchSite, cookie }),
        fc.integer({ min: 0, max: 5 * 60_000 }),
        async (headers, offset) => {
          now = T0 + offset;
          const info: RequestInfo = { ...headers, userAgent: null, ip: null };
          const token = manager.readToken(info.cookie);
          const calls = { ...store.calls };
          const size = inner.size;
          const emitted: string[] = [];

          let error: unknown = null;
          let loaded: RequestSession<SessionUser> | null = null;
          try {
            loaded = await loadRequestSession(manager, info, (setCookie) => emitted.push(setCookie));
          } catch (caught) {
            error = caught;
          }

          assert.equal(inner.size, size, 'loading a session changed the number of stored sessions');
          assert.equal(
            store.writes,
            calls.create + calls.replace + calls.delete,
            'loading a session wrote to the store',
          );
          if (store.calls.get > calls.get)
            assert.ok(token !== null && live.has(token), 'a forged cookie reached the store');

          const refusal =
            token !== null && isUnsafeMethod(info.method)
              ? checkRequestOrigin(info, manager.config.trustedOrigins)
              : null;
          if (refusal !== null) {
            refused++;
            assert.ok(error instanceof CsrfRejectedError, `expected a CSRF refusal, got ${String(error)}`);
            assert.equal(error.code, 'csrf_rejected');
            assert.equal(error.reason, refusal);
            assert.equal(store.calls.get, calls.get, 'a refused request read the store');
            assert.deepEqual(emitted, []);
            return;
          }
          assert.equal(error, null, `unexpected rejection: ${String(error)}`);
          assert.ok(loaded !== null);

          const expectedId = token === null ? undefined : live.get(token);
          if (expectedId === undefined) {
            assert.equal(loaded.session, null, 'a cookie that is not genuine gave a session');
            assert.equal(loaded.user, null);
            assert.deepEqual(emitted, token === null ? [] : [manager.clearCookie()]);
            if (token === null) assert.equal(loaded.rejected, null);
            return;
          }
          signedIn++;
          assert.equal(loaded.session?.id, expectedId);
          assert.equal(loaded.rejected, null);
          if (isUnsafeMethod(info.method)) {
            // Checked from the headers directly, not through checkRequestOrigin: what must hold for any
            // unsafe request that ends up signed in.
            const site = info.secFetchSite?.trim().toLowerCase() ?? null;
            assert.ok(
              site !== 'cross-site' && site !== 'same-site',
              'a cross-site unsafe request was signed in',
            );
            if (info.origin !== null)
              assert.ok([SITE, EXTRA].includes(info.origin.trim()), 'untrusted Origin signed in');
            else
              assert.ok(site === 'same-origin' || site === 'none', 'unsafe request without Origin signed in');
          }
        },
      ),
      fuzzParameters('cookie-header (loadRequestSession)'),
    );
    assert.ok(signedIn > 200, `only ${signedIn} requests were signed in`);
    assert.ok(refused > 200, `only ${refused} requests were refused`);
  });
});
