import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSetCookie } from 'cookie';
import {
  readSessionCookie,
  resolveCookieSettings,
  serializeClearCookie,
  serializeSessionCookie,
  type CookieSettings,
  type SessionCookieOptions,
} from '../../src/session/cookie.js';
import { createSessionManager } from '../../src/session/manager.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { cookieHeaderVectors, HOST_NAME, PLAIN_NAME, TOKEN } from '../vectors/cookie-headers.js';

const KEY = 'k'.repeat(32);

/** The attribute names of a Set-Cookie string, lower-cased, e.g. `httponly`, `max-age`. */
function attributesOf(setCookie: string): Map<string, string | null> {
  const [, ...parts] = setCookie.split(';');
  return new Map(
    parts.map((part) => {
      const [name, value] = part.trim().split('=');
      return [name!.toLowerCase(), value ?? null];
    }),
  );
}

describe('resolveCookieSettings', () => {
  test('https: __Host- prefix, Secure, SameSite=Lax, persistent', () => {
    assert.deepEqual(resolveCookieSettings('https://example.com'), {
      name: '__Host-cloakroom',
      secure: true,
      sameSite: 'lax',
      persistent: true,
    });
    assert.equal(resolveCookieSettings('https://example.com:8443').name, '__Host-cloakroom');
    assert.equal(
      resolveCookieSettings('https://localhost:3000').secure,
      true,
      'https on loopback stays Secure',
    );
  });

  test('http on loopback origins: plain name, no Secure', () => {
    for (const origin of [
      'http://localhost',
      'http://localhost:3000',
      'http://127.0.0.1:3000',
      'http://127.0.0.1',
      'http://127.1.2.3:80',
      'http://[::1]:8080',
      'http://[::1]',
      'http://app.localhost:5173',
    ]) {
      const settings = resolveCookieSettings(origin);
      assert.equal(settings.name, 'cloakroom', origin);
      assert.equal(settings.secure, false, origin);
      assert.equal(settings.sameSite, 'lax', origin);
    }
  });

  test('http on any other host is a TypeError', () => {
    for (const origin of [
      'http://example.com',
      'http://example.com:3000',
      'http://10.0.0.1',
      'http://192.168.1.10:3000',
      'http://0.0.0.0:3000',
      'http://localhost.example.com',
      'http://127.0.0.1.nip.io',
      'http://[::ffff:808:808]',
      'http://[::2]',
    ]) {
      assert.throws(() => resolveCookieSettings(origin), TypeError, origin);
    }
  });

  test('an origin that is not a URL is a TypeError', () => {
    assert.throws(() => resolveCookieSettings('example.com'), TypeError);
    assert.throws(() => resolveCookieSettings(''), TypeError);
  });

  test('custom names and sameSite=strict are kept; the prefix is added on https only', () => {
    const https = resolveCookieSettings('https://example.com', { name: 'my_app-sid', sameSite: 'strict' });
    assert.equal(https.name, '__Host-my_app-sid');
    assert.equal(https.sameSite, 'strict');
    assert.equal(resolveCookieSettings('http://localhost', { name: 'my_app-sid' }).name, 'my_app-sid');
    assert.equal(
      resolveCookieSettings('https://example.com', { name: 'x'.repeat(64) }).name,
      `__Host-${'x'.repeat(64)}`,
    );
    assert.equal(resolveCookieSettings('https://example.com', { persistent: false }).persistent, false);
  });

  test('bad names are a TypeError', () => {
    for (const name of ['', ' ', 'a b', 'a;b', 'a=b', 'a,b', 'a"b', 'a.b', 'é', 'a\0', 'x'.repeat(65)]) {
      assert.throws(
        () => resolveCookieSettings('https://example.com', { name }),
        TypeError,
        JSON.stringify(name),
      );
    }
  });

  test('a name that already carries a cookie prefix is a TypeError', () => {
    // On https the result would be `__Host-__Host-…`; on loopback http a `__Host-`/`__Secure-` cookie without
    // Secure is refused by browsers, so the session could never be set.
    for (const name of ['__Host-sid', '__Secure-sid', '__host-sid', '__SECURE-sid']) {
      assert.throws(() => resolveCookieSettings('https://example.com', { name }), TypeError, name);
      assert.throws(() => resolveCookieSettings('http://localhost:3000', { name }), TypeError, name);
    }
  });

  test('bad sameSite values are a TypeError', () => {
    for (const sameSite of ['none', 'None', 'Lax', 'STRICT', '', 'true']) {
      const options = { sameSite } as unknown as SessionCookieOptions;
      assert.throws(() => resolveCookieSettings('https://example.com', options), TypeError, sameSite);
    }
  });

  test('there is no way to turn HttpOnly off', () => {
    // @ts-expect-error: the options have no httpOnly field at all.
    const options: SessionCookieOptions = { httpOnly: false };
    const settings = resolveCookieSettings('https://example.com', options);
    assert.equal('httpOnly' in settings, false);
    // @ts-expect-error: nor do the resolved settings.
    const forced: CookieSettings = { ...settings, httpOnly: false };
    assert.ok(attributesOf(serializeSessionCookie(forced, TOKEN, 60)).has('httponly'));
    assert.ok(attributesOf(serializeClearCookie(forced)).has('httponly'));

    const manager = createSessionManager({
      store: new MemoryStore(),
      origin: 'https://example.com',
      keys: [KEY],
      cookie: { httpOnly: false } as unknown as SessionCookieOptions,
    });
    assert.ok(attributesOf(manager.clearCookie()).has('httponly'));
  });
});

describe('serializeSessionCookie and serializeClearCookie', () => {
  const https = resolveCookieSettings('https://example.com');
  const loopback = resolveCookieSettings('http://localhost:3000');

  test('https: HttpOnly, Secure, Path=/, SameSite=Lax, Max-Age, no Domain', () => {
    const setCookie = serializeSessionCookie(https, TOKEN, 3600);
    assert.ok(setCookie.startsWith(`__Host-cloakroom=${TOKEN};`));
    const attributes = attributesOf(setCookie);
    assert.equal(attributes.get('httponly'), null);
    assert.ok(attributes.has('httponly'));
    assert.ok(attributes.has('secure'));
    assert.equal(attributes.get('path'), '/');
    assert.equal(attributes.get('samesite'), 'Lax');
    assert.equal(attributes.get('max-age'), '3600');
    assert.equal(attributes.has('domain'), false);
    assert.equal(attributes.has('expires'), false);
    assert.match(setCookie, /; HttpOnly(;|$)/);
    assert.match(setCookie, /; Path=\/(;|$)/);
    assert.match(setCookie, /; SameSite=Lax(;|$)/);
    assert.match(setCookie, /; Max-Age=3600(;|$)/);
    assert.deepEqual(parseSetCookie(setCookie), {
      name: '__Host-cloakroom',
      value: TOKEN,
      maxAge: 3600,
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
    });
  });

  test('loopback http: no Secure, plain name, still HttpOnly', () => {
    const setCookie = serializeSessionCookie(loopback, TOKEN, 60);
    assert.ok(setCookie.startsWith(`cloakroom=${TOKEN};`));
    const attributes = attributesOf(setCookie);
    assert.equal(attributes.has('secure'), false);
    assert.ok(attributes.has('httponly'));
    assert.equal(attributes.get('path'), '/');
    assert.equal(attributes.get('samesite'), 'Lax');
  });

  test('SameSite=Strict when asked', () => {
    const strict = resolveCookieSettings('https://example.com', { sameSite: 'strict' });
    assert.equal(attributesOf(serializeSessionCookie(strict, TOKEN, 60)).get('samesite'), 'Strict');
    assert.equal(attributesOf(serializeClearCookie(strict)).get('samesite'), 'Strict');
  });

  test('Max-Age is a whole, non-negative number of seconds', () => {
    assert.equal(attributesOf(serializeSessionCookie(https, TOKEN, 59.9)).get('max-age'), '59');
    assert.equal(attributesOf(serializeSessionCookie(https, TOKEN, -5)).get('max-age'), '0');
    assert.equal(attributesOf(serializeSessionCookie(https, TOKEN, 30 * 86400)).get('max-age'), '2592000');
  });

  test('a non-persistent cookie has neither Max-Age nor Expires', () => {
    const settings = resolveCookieSettings('https://example.com', { persistent: false });
    const attributes = attributesOf(serializeSessionCookie(settings, TOKEN, 3600));
    assert.equal(attributes.has('max-age'), false);
    assert.equal(attributes.has('expires'), false);
    assert.ok(attributes.has('httponly'));
  });

  test('the clear cookie empties the value with Max-Age=0 and the same scope', () => {
    for (const settings of [
      https,
      loopback,
      resolveCookieSettings('https://example.com', { persistent: false }),
    ]) {
      const setCookie = serializeClearCookie(settings);
      assert.ok(setCookie.startsWith(`${settings.name}=;`));
      const attributes = attributesOf(setCookie);
      assert.equal(attributes.get('max-age'), '0');
      assert.equal(attributes.get('path'), '/');
      assert.ok(attributes.has('httponly'));
      assert.equal(attributes.has('secure'), settings.secure);
      assert.equal(attributes.has('domain'), false);
    }
  });

  test('the serialized value reads back unchanged', () => {
    const setCookie = serializeSessionCookie(https, TOKEN, 60);
    const pair = setCookie.split(';')[0]!;
    assert.equal(readSessionCookie(pair, https.name), TOKEN);
  });
});

describe('readSessionCookie', () => {
  for (const vector of cookieHeaderVectors) {
    test(`vector: ${vector.description}`, () => {
      assert.equal(readSessionCookie(vector.header, vector.name ?? HOST_NAME), vector.expected);
    });
  }

  test('a normal header', () => {
    assert.equal(readSessionCookie(`${HOST_NAME}=${TOKEN}`, HOST_NAME), TOKEN);
    assert.equal(readSessionCookie(`theme=dark; ${HOST_NAME}=${TOKEN}; lang=en`, HOST_NAME), TOKEN);
  });

  test('duplicates mean no session, whatever the spacing', () => {
    for (const separator of [';', '; ', ';  ', ';\t', ' ; ', '\t;\t', ';;', '; a=1; ']) {
      for (const equals of ['=', ' =', '\t=', ' = ']) {
        const header = `${HOST_NAME}=${TOKEN}${separator}${HOST_NAME}${equals}${TOKEN}`;
        assert.equal(readSessionCookie(header, HOST_NAME), null, JSON.stringify(header));
        const reversed = `${HOST_NAME}${equals}${TOKEN}${separator}${HOST_NAME}=${TOKEN}`;
        assert.equal(readSessionCookie(reversed, HOST_NAME), null, JSON.stringify(reversed));
      }
    }
  });

  test('a longer cookie name containing ours is not ours', () => {
    for (const other of [
      `x${HOST_NAME}`,
      `${HOST_NAME}2`,
      `${HOST_NAME}_`,
      `__Host-${HOST_NAME}`,
      `a${PLAIN_NAME}`,
    ]) {
      assert.equal(readSessionCookie(`${other}=${TOKEN}`, HOST_NAME), null, other);
      assert.equal(readSessionCookie(`${other}=${TOKEN}; ${HOST_NAME}=x`, HOST_NAME), 'x', other);
    }
    assert.equal(readSessionCookie(`__Host-${PLAIN_NAME}=${TOKEN}`, PLAIN_NAME), null);
  });

  test('an oversize value means no session', () => {
    assert.equal(
      readSessionCookie(`${HOST_NAME}=${TOKEN}x`.padEnd(HOST_NAME.length + 66, 'x'), HOST_NAME),
      null,
    );
    assert.equal(readSessionCookie(`${HOST_NAME}=${'A'.repeat(1_000_000)}`, HOST_NAME), null);
  });

  test('an empty or absent header means no session', () => {
    assert.equal(readSessionCookie('', HOST_NAME), null);
    assert.equal(readSessionCookie(null, HOST_NAME), null);
    assert.equal(readSessionCookie(undefined, HOST_NAME), null);
    assert.equal(readSessionCookie(42 as unknown as string, HOST_NAME), null);
    assert.equal(readSessionCookie(['a'] as unknown as string, HOST_NAME), null);
  });

  test('a huge header of other cookies is read without error', () => {
    const header = `${'a=1; '.repeat(50_000)}${HOST_NAME}=${TOKEN}`;
    assert.equal(readSessionCookie(header, HOST_NAME), TOKEN);
  });

  test('names that exist on Object.prototype are plain cookie names', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      assert.equal(readSessionCookie('a=1', name), null, name);
      assert.equal(readSessionCookie(`a=1; ${name}=v`, name), 'v', name);
    }
  });

  test('the manager reads its own cookie name', () => {
    const https = createSessionManager({
      store: new MemoryStore(),
      origin: 'https://example.com',
      keys: [KEY],
    });
    assert.equal(https.cookieName, HOST_NAME);
    assert.equal(https.readToken(`${HOST_NAME}=${TOKEN}`), TOKEN);
    assert.equal(https.readToken(`${PLAIN_NAME}=${TOKEN}`), null);
    const loopback = createSessionManager({
      store: new MemoryStore(),
      origin: 'http://localhost:3000',
      keys: [KEY],
    });
    assert.equal(loopback.cookieName, PLAIN_NAME);
    assert.equal(loopback.readToken(`${PLAIN_NAME}=${TOKEN}`), TOKEN);
    assert.equal(loopback.readToken(`${HOST_NAME}=${TOKEN}`), null);
  });
});
