import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CompactEncrypt, exportJWK, UnsecuredJWT } from 'jose';
import { craft, finding, goodClaims, ids, inspect, NOW, sign } from './support.js';

describe('inspect audit: one crafted token per finding', () => {
  test('a well-made EdDSA access token has no finding above info', async () => {
    const report = await inspect(await sign(goodClaims()));
    assert.deepEqual(
      report.findings.filter((f) => f.severity !== 'info'),
      [],
    );
    assert.deepEqual(ids(report).sort(), ['size_vs_cookie', 'traffic_projection']);
    assert.equal(report.highestSeverity, 'info');
  });

  test('alg none is critical, whatever its case', async () => {
    const unsecured = new UnsecuredJWT(goodClaims()).encode();
    assert.equal(finding(await inspect(unsecured), 'alg_none').severity, 'critical');
    for (const alg of ['NONE', 'None', 'nOnE']) {
      const report = await inspect(craft({ alg, typ: 'at+jwt' }, goodClaims(), ''));
      assert.equal(finding(report, 'alg_none').severity, 'critical', alg);
      assert.equal(report.highestSeverity, 'critical');
    }
  });

  test('a missing alg is high', async () => {
    assert.equal(
      finding(await inspect(craft({ typ: 'at+jwt' }, goodClaims())), 'alg_missing').severity,
      'high',
    );
  });

  test('HS256, HS384 and HS512 are medium: a shared secret', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const report = await inspect(await sign(goodClaims(), { typ: 'at+jwt' }, alg));
      assert.equal(finding(report, 'alg_symmetric').severity, 'medium', alg);
      assert.match(finding(report, 'alg_symmetric').message, new RegExp(alg));
    }
  });

  test('a missing exp is high, and no lifetime finding is invented', async () => {
    const claims = goodClaims();
    delete claims.exp;
    const report = await inspect(await sign(claims));
    assert.equal(finding(report, 'exp_missing').severity, 'high');
    assert.ok(!ids(report).includes('lifetime_long'));
    assert.equal(report.times.exp, null);
  });

  test('lifetime over 1 h is medium for an access token, over 24 h high', async () => {
    const twoHours = await inspect(await sign({ ...goodClaims(), iat: NOW, exp: NOW + 7200 }));
    assert.equal(finding(twoHours, 'lifetime_long').severity, 'medium');
    assert.equal(twoHours.times.lifetimeSeconds, 7200);
    const oneHour = await inspect(await sign({ ...goodClaims(), iat: NOW, exp: NOW + 3600 }));
    assert.ok(!ids(oneHour).some((id) => id.startsWith('lifetime')), 'exactly 1 h is fine');
    const thirtyDays = await inspect(await sign({ ...goodClaims(), iat: NOW, exp: NOW + 30 * 86400 }));
    assert.equal(finding(thirtyDays, 'lifetime_very_long').severity, 'high');
    assert.match(finding(thirtyDays, 'lifetime_very_long').message, /30 days lifetime/);
  });

  test('an ID token living 2 h is only low; without iat or nbf the time left is measured', async () => {
    const idToken = await inspect(
      await sign(
        {
          iss: 'https://idp',
          aud: 'app',
          sub: 'u',
          nonce: 'n',
          jti: 'j',
          iat: NOW,
          exp: NOW + 7200,
        },
        { typ: 'JWT' },
      ),
    );
    assert.equal(finding(idToken, 'lifetime_long').severity, 'low');
    assert.ok(!ids(idToken).includes('typ_not_at_jwt'), 'an ID token is not expected to be at+jwt');
    const noIat = goodClaims();
    delete noIat.iat;
    const report = await inspect(await sign({ ...noIat, exp: NOW + 3 * 86400 }));
    assert.match(finding(report, 'lifetime_very_long').message, /left before exp/);
  });

  test('expired and not-yet-valid tokens are noted (info)', async () => {
    const expired = await inspect(await sign({ ...goodClaims(), iat: NOW - 7200, exp: NOW - 3600 }));
    assert.equal(finding(expired, 'expired').severity, 'info');
    assert.equal(expired.times.expiresInSeconds, -3600);
    const early = await inspect(await sign({ ...goodClaims(), nbf: NOW + 60 }));
    assert.equal(finding(early, 'not_yet_valid').severity, 'info');
  });

  test('missing aud (medium), iss (low) and jti (low)', async () => {
    const claims = goodClaims();
    delete claims.aud;
    delete claims.iss;
    delete claims.jti;
    const report = await inspect(await sign(claims));
    assert.equal(finding(report, 'aud_missing').severity, 'medium');
    assert.equal(finding(report, 'iss_missing').severity, 'low');
    assert.equal(finding(report, 'jti_missing').severity, 'low');
    assert.equal(
      finding(await inspect(await sign({ ...goodClaims(), iss: '' })), 'iss_missing').severity,
      'low',
    );
  });

  test('typ other than at+jwt is info for an access token; application/at+jwt is accepted', async () => {
    assert.equal(
      finding(await inspect(await sign(goodClaims(), { typ: 'JWT' })), 'typ_not_at_jwt').severity,
      'info',
    );
    assert.match(finding(await inspect(await sign(goodClaims(), {})), 'typ_not_at_jwt').message, /absent/);
    const ok = await inspect(await sign(goodClaims(), { typ: 'application/at+jwt' }));
    assert.ok(!ids(ok).includes('typ_not_at_jwt'));
  });

  test('personal data in clear is found, nested and namespaced, with its paths', async () => {
    const report = await inspect(
      await sign({
        ...goodClaims(),
        email: 'ada@example.com',
        given_name: 'Ada',
        profile: { phone_number: '+44 20 7946 0000', address: { street_address: '1 Main St' } },
        'https://example.com/birthdate': '1815-12-10',
        email_verified: true,
      }),
    );
    const personal = finding(report, 'personal_data_in_clear');
    assert.equal(personal.severity, 'medium');
    for (const path of [
      'email',
      'given_name',
      'profile.phone_number',
      'profile.address',
      'https://example.com/birthdate',
    ]) {
      assert.ok(personal.message.includes(path), path);
    }
    assert.ok(!personal.message.includes('email_verified'));
  });

  test('authorisation data in clear: roles, groups, permissions, admin flags, nested', async () => {
    const report = await inspect(
      await sign({
        ...goodClaims(),
        roles: ['editor'],
        realm_access: { groups: ['staff'] },
        permissions: ['notes:delete'],
        is_admin: false,
        isSuperAdmin: true,
      }),
    );
    const authz = finding(report, 'authorization_data_in_clear');
    assert.equal(authz.severity, 'medium');
    for (const path of ['roles', 'realm_access.groups', 'permissions', 'is_admin', 'isSuperAdmin']) {
      assert.ok(authz.message.includes(path), path);
    }
    const scopeOnly = await inspect(await sign({ ...goodClaims(), roles: [] }));
    assert.ok(
      !ids(scopeOnly).includes('authorization_data_in_clear'),
      'scope and empty lists are not flagged',
    );
  });

  test('embedded jwk (high), jku and x5u (high), x5c (medium)', async () => {
    const jwk = await exportJWK(generateKeyPairSync('ed25519').publicKey);
    assert.equal(
      finding(await inspect(await sign(goodClaims(), { typ: 'at+jwt', jwk })), 'header_jwk').severity,
      'high',
    );
    const jku = await inspect(
      craft({ alg: 'RS256', typ: 'at+jwt', jku: 'https://evil.example/jwks' }, goodClaims()),
    );
    assert.equal(finding(jku, 'header_jku').severity, 'high');
    const x5u = await inspect(
      craft({ alg: 'RS256', typ: 'at+jwt', x5u: 'https://evil.example/cert' }, goodClaims()),
    );
    assert.equal(finding(x5u, 'header_x5u').severity, 'high');
    const x5c = await inspect(craft({ alg: 'RS256', typ: 'at+jwt', x5c: ['MIIB'] }, goodClaims()));
    assert.equal(finding(x5c, 'header_x5c').severity, 'medium');
  });

  test('a kid that looks like a path or an injection is high; ordinary kids are not', async () => {
    const cases: [unknown, RegExp][] = [
      ['../../../../dev/null', /file path/],
      ['/etc/passwd', /file path/],
      ["k1' UNION SELECT 'secret", /SQL/],
      ['k1; rm -rf /', /SQL|shell/],
      ['x OR 1=1 --', /SQL/],
      ['$(curl evil)', /shell/],
      ['https://evil.example/key', /URL/],
      ['k\u0000', /control/],
      [42, /other than a string/],
      ['x'.repeat(300), /oversized/],
    ];
    for (const [kid, reason] of cases) {
      const report = await inspect(craft({ alg: 'EdDSA', typ: 'at+jwt', kid }, goodClaims()));
      const kidFinding = finding(report, 'kid_suspicious');
      assert.equal(kidFinding.severity, 'high');
      assert.match(kidFinding.message, reason, String(kid));
    }
    for (const kid of ['k1', '2024-06-01', '2024--06', 'projects/p/keys/k/versions/1', 'ZmZm_-x']) {
      const report = await inspect(craft({ alg: 'EdDSA', typ: 'at+jwt', kid }, goodClaims()));
      assert.ok(!ids(report).includes('kid_suspicious'), kid);
    }
  });

  test('size against the measured Cloakroom cookie, and a token too big for a cookie', async () => {
    const token = await sign(goodClaims());
    const report = await inspect(token);
    assert.equal(report.sizes.cloakroomCookieBytes, 62);
    assert.equal(report.sizes.tokenBytes, token.length);
    assert.equal(report.sizes.parts.reduce((sum, part) => sum + part.bytes, 0) + 2, token.length);
    assert.match(finding(report, 'size_vs_cookie').message, new RegExp(`^${token.length} B, `));
    const huge = await inspect(await sign({ ...goodClaims(), blob: 'x'.repeat(4000) }));
    assert.equal(finding(huge, 'size_over_cookie_limit').severity, 'medium');
  });

  test('traffic: (token bytes - cookie bytes) x requests, in bytes and MB', async () => {
    const token = await sign(goodClaims());
    const report = await inspect(token, 250_000);
    assert.ok(report.traffic !== null);
    assert.equal(report.traffic.extraBytesPerRequest, token.length - 62);
    assert.equal(report.traffic.extraBytes, (token.length - 62) * 250_000);
    assert.equal(report.traffic.extraMegabytes, ((token.length - 62) * 250_000) / 1e6);
    assert.match(report.traffic.assumption, /client to server/);
    assert.match(finding(report, 'traffic_projection').message, /250,000 requests/);
  });

  test('a token smaller than the cookie shows negative extra traffic, worded as less', async () => {
    const tiny = craft({ alg: 'none' }, {}, '');
    const report = await inspect(tiny);
    assert.equal(report.traffic?.extraBytesPerRequest, tiny.length - 62);
    assert.ok(report.traffic.extraBytes < 0);
    assert.match(finding(report, 'traffic_projection').message, /less traffic a month/);
  });

  test("the seed article's claims as an HS256 JWT: 228 B, 3.7x the cookie, 16.6 MB per 100k requests", async () => {
    const seed = {
      iss: '',
      sub: 'abc123',
      nbf: 1497934977,
      exp: 1497938577,
      iat: 1497934977,
      jti: '1234567',
      typ: 'authtoken',
    };
    const report = await inspect(await sign(seed, { typ: 'JWT' }, 'HS256'));
    assert.equal(report.sizes.tokenBytes, 228);
    assert.equal(report.sizes.ratio, 3.68);
    assert.equal(report.traffic?.extraBytes, 166 * 100_000);
  });

  test('a JWE: header only, claims encrypted, RSA1_5 flagged', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(goodClaims())))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'enc-1' })
      .encrypt(publicKey);
    const report = await inspect(jwe);
    assert.equal(report.kind, 'jwe');
    assert.equal(report.claims, null);
    assert.deepEqual(report.header, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'enc-1' });
    assert.deepEqual(
      report.sizes.parts.map((part) => part.name),
      ['header', 'encrypted key', 'iv', 'ciphertext', 'tag'],
    );
    assert.equal(finding(report, 'jwe_claims_encrypted').severity, 'info');
    assert.ok(!ids(report).includes('exp_missing'), 'claims it cannot read are not audited');
    const rsa15 = `${craft({ alg: 'RSA1_5', enc: 'A128GCM' }, {}).split('.')[0]}.a.b.c.d`;
    assert.equal(finding(await inspect(rsa15), 'jwe_rsa1_5').severity, 'medium');
  });

  test('findings are sorted most severe first', async () => {
    const report = await inspect(craft({ alg: 'none' }, { email: 'a@b.c' }, ''));
    const order = ['critical', 'high', 'medium', 'low', 'info'];
    const positions = report.findings.map((f) => order.indexOf(f.severity));
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
    );
  });

  test('property: any JSON header and claims audit without throwing, with known ids and severities', async () => {
    const severities = ['info', 'low', 'medium', 'high', 'critical'];
    const object = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 });
    const header = fc.oneof(
      object,
      fc.record({ alg: fc.string(), kid: fc.oneof(fc.string(), fc.jsonValue()) }),
    );
    const claims = fc.oneof(
      object,
      fc.record({
        exp: fc.oneof(fc.double(), fc.integer(), fc.string()),
        iat: fc.double(),
        nbf: fc.jsonValue(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(header, claims, async (h, c) => {
        const report = await inspect(craft(h, c));
        for (const f of report.findings) {
          assert.ok(severities.includes(f.severity));
          assert.match(f.id, /^[a-z0-9_]+$/);
          assert.equal(typeof f.message, 'string');
        }
        JSON.stringify(report);
      }),
      { numRuns: 300 },
    );
  });
});
