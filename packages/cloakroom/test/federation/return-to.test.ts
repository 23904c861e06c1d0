// returnTo (only local paths survive), the pre-login cookie (only a well-formed handle, once), and the
// provider list parser: examples and properties (fast-check).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../helpers/fuzz.js';
import { parseProviderList, PreLoginCookie, safeReturnTo } from '../../src/federation/index.js';

describe('safeReturnTo', () => {
  test('keeps local paths', () => {
    for (const path of ['/', '/notes', '/notes?x=1&y=2', '/notes#top', '/a/b/c?q=%2F%2F']) {
      assert.equal(safeReturnTo(path), path);
    }
  });

  test('drops everything that could leave the site', () => {
    for (const value of [
      '//evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      'https://evil.example/',
      'http:/evil.example',
      'javascript:alert(1)',
      'notes',
      '',
      '/\tevil',
      '/\n/evil.example',
      '/x\\y',
      `/${'a'.repeat(600)}`,
      undefined,
      42,
      ['/notes'],
    ]) {
      assert.equal(safeReturnTo(value), null, String(value));
    }
  });

  test('property: whatever it keeps resolves on the site’s own origin, as a path', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.webPath(), fc.webUrl(), fc.constantFrom('//', '/\\', '/%2F')),
        (value) => {
          const kept = safeReturnTo(value);
          if (kept === null) return;
          assert.equal(kept, value);
          assert.ok(kept.startsWith('/') && !kept.startsWith('//') && !kept.startsWith('/\\'));
          const base = 'https://site.example';
          assert.equal(new URL(kept, base).origin, base);
        },
      ),
      fuzzParameters('return-to (safeReturnTo)'),
    );
  });
});

describe('PreLoginCookie', () => {
  const handle = 'A'.repeat(43);

  test('https origins get __Host-, Secure, HttpOnly, SameSite=Lax, Path=/', () => {
    const cookie = new PreLoginCookie('https://site.example');
    assert.equal(
      cookie.serialize(handle, 600),
      `__Host-cloakroom-oidc=${handle}; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
    assert.match(cookie.clear(), /^__Host-cloakroom-oidc=; Max-Age=0;/);
  });

  test('plain http only on loopback', () => {
    assert.equal(new PreLoginCookie('http://127.0.0.1:3000').name, 'cloakroom-oidc');
    assert.throws(() => new PreLoginCookie('http://site.example'), TypeError);
  });

  test('reads one well-formed handle; duplicates, garbage and wrong lengths read as none', () => {
    const cookie = new PreLoginCookie('http://localhost:3000');
    assert.equal(cookie.read(`a=b; cloakroom-oidc=${handle}`), handle);
    assert.equal(cookie.read(`cloakroom-oidc=${handle}; cloakroom-oidc=${handle}`), null);
    assert.equal(cookie.read('cloakroom-oidc=short'), null);
    assert.equal(cookie.read(`cloakroom-oidc=${'*'.repeat(43)}`), null);
    assert.equal(cookie.read(null), null);
    assert.equal(cookie.read(''), null);
  });

  test('property: read never throws and returns null or a 43-character base64url handle', () => {
    const cookie = new PreLoginCookie('http://localhost:3000');
    fc.assert(
      fc.property(fc.string(), fc.string(), (prefix, value) => {
        const read = cookie.read(`${prefix}; cloakroom-oidc=${value}`);
        assert.ok(read === null || /^[\w-]{43}$/.test(read));
      }),
      fuzzParameters('pre-login cookie (PreLoginCookie.read)'),
    );
  });
});

describe('parseProviderList', () => {
  const good = {
    id: 'corp',
    issuer: 'https://idp.example.com',
    clientId: 'c',
    clientSecret: 's',
    label: 'Corp',
  };

  test('accepts loopback http issuers for development', () => {
    for (const issuer of ['http://127.0.0.1:8080', 'http://localhost:9000/realms/x', 'http://[::1]:1']) {
      assert.equal(parseProviderList([{ ...good, issuer }])[0]?.issuer, issuer);
    }
  });

  test('refuses issuers with a query, a fragment or credentials', () => {
    for (const issuer of [
      'https://idp.example.com/?x=1',
      'https://idp.example.com/#f',
      'https://u:p@idp.example.com',
    ]) {
      assert.throws(() => parseProviderList([{ ...good, issuer }]), /issuer/);
    }
  });

  test('property: never throws anything but a TypeError', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          parseProviderList(input);
        } catch (error) {
          assert.ok(error instanceof TypeError);
        }
      }),
    );
  });
});
