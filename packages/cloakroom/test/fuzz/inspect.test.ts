// Fuzzing `cloakroom inspect`'s readers (review finding 8): extractToken finds a token in any pasted text
// (headers, cookies, bare tokens), decodeToken decodes its JOSE header and claims. Failures: anything but
// InspectError, or a case past the time limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeToken } from '../../src/inspect/decode.js';
import { InspectError } from '../../src/inspect/errors.js';
import { extractToken } from '../../src/inspect/extract.js';
import { bounded, fuzzParameters } from '../helpers/fuzz.js';
import { anyString, cookieHeader, nearMissToken } from '../property/support.js';
import { claims, rawEd25519Key, signRaw } from '../tokens/support.js';

const key = rawEd25519Key();
const JWS = signRaw(key.privateKey, JSON.stringify({ alg: 'EdDSA', kid: key.kid }), JSON.stringify(claims()));
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const JWE = [
  b64('{"alg":"dir","enc":"A256GCM"}'),
  '',
  'AAAAAAAAAAAAAAAA',
  'BBBBBBBB',
  'CCCCCCCCCCCCCCCCCCCCCC',
].join('.');
const DEEP = `${b64('{"alg":"none"}')}.${b64('{"a":'.repeat(3000) + '1' + '}'.repeat(3000))}.x`;

const token = fc.oneof(nearMissToken([JWS, JWE, DEEP]), fc.constantFrom(JWS, JWE, DEEP), anyString);
const input = fc.oneof(
  token,
  fc
    .tuple(
      fc.constantFrom(
        'Authorization: ',
        'authorization:Bearer ',
        'Bearer ',
        'DPoP ',
        'Cookie: ',
        'Set-Cookie: ',
        '',
      ),
      token,
    )
    .map(([prefix, t]) => prefix + t),
  fc
    .tuple(fc.constantFrom('Cookie: ', ''), cookieHeader('session', token))
    .map(([prefix, header]) => prefix + header),
  fc.tuple(anyString, token, anyString).map(([a, t, b]) => `${a}\n${t}\n${b}`),
);
const cookieName = fc.option(fc.constantFrom('session', 'cloakroom', '__Host-cloakroom', ''), {
  nil: undefined,
});

test('inspect: extract and decode any input with only InspectError', () => {
  let decoded = 0;
  fc.assert(
    fc.property(input, cookieName, (text, name) => {
      try {
        const found = bounded(() => extractToken(text, name === undefined ? {} : { cookieName: name }));
        assert.ok(['jws', 'jwe', 'session'].includes(found.kind));
        const result = bounded(() => decodeToken(found));
        assert.ok(result.bytes >= 0);
        decoded++;
      } catch (error) {
        assert.ok(error instanceof InspectError, String(error));
        assert.ok(['no_token', 'malformed_token'].includes(error.code), error.code);
      }
    }),
    fuzzParameters('inspect (extract + decode)'),
  );
  assert.ok(decoded > 100, `only ${decoded} inputs decoded`);
});
