// Fuzzing the JWT/JWE compact forms (review finding 8): the shape check and the strict JSON segment decoder
// that run before jose sees a token (tokens/compact.ts). Failures: anything but InvalidTokenError, a case past
// the time limit, and an accepted shape or segment that breaks the documented rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkCompactShape, decodeJsonSegment } from '../../src/tokens/compact.js';
import { InvalidTokenError } from '../../src/tokens/errors.js';
import { bounded, fuzzParameters } from '../helpers/fuzz.js';
import { anyString, base64url, nearMissToken } from '../property/support.js';
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

/** JSON-ish text: real JSON values, near-JSON (duplicates, trailing commas, deep nesting), any text. */
const jsonText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ a: value, b: value })),
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.json({ maxDepth: 2 }))
    .map(([name, v]) => `{"${name}":${v},"${name}":${v}}`),
  fc.integer({ min: 1, max: 5000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.integer({ min: 1, max: 5000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.constantFrom(
    '{"a":1,}',
    '{',
    '"x"',
    'null',
    '[]',
    '{"__proto__":{"x":1}}',
    '\ufeff{}',
    '{"a":"\ud800"}',
  ),
  anyString,
);
const segment = fc.oneof(
  jsonText.map(b64),
  fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc.integer({ min: 0, max: 60 }).chain(base64url),
  anyString,
);
const compact = fc.oneof(
  nearMissToken([JWS, JWE]),
  fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
  anyString,
);

test('compact shape: only InvalidTokenError; accepted tokens are 3 or 5 base64url segments within the size', () => {
  fc.assert(
    fc.property(
      compact,
      fc.constantFrom('jws' as const, 'jwe' as const),
      fc.constantFrom(64, 8192),
      (token, kind, max) => {
        try {
          const segments = bounded(() => checkCompactShape(token, max, kind));
          assert.ok(token.length <= max);
          assert.equal(segments.length, kind === 'jws' ? 3 : 5);
          assert.equal(segments.join('.'), token);
          for (const [i, part] of segments.entries()) {
            assert.match(part, kind === 'jwe' && i === 1 ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9_-]+$/);
            assert.notEqual(part.length % 4, 1);
          }
        } catch (error) {
          assert.ok(error instanceof InvalidTokenError && error.reason === 'malformed', String(error));
        }
      },
    ),
    fuzzParameters('jwt-compact (shape)'),
  );
});

test('JSON segments: only InvalidTokenError; accepted ones are JSON objects with no member twice', () => {
  fc.assert(
    fc.property(segment, (part) => {
      try {
        const value = bounded(() => decodeJsonSegment(part, 'payload'));
        assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value));
      } catch (error) {
        assert.ok(
          error instanceof InvalidTokenError && ['malformed', 'duplicate_member'].includes(error.reason),
          String(error),
        );
      }
    }),
    fuzzParameters('jwt-compact (JSON segments)'),
  );
});
