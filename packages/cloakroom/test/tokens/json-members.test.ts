import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidTokenError } from '../../src/tokens/errors.js';
import { checkCompactShape, decodeJsonSegment } from '../../src/tokens/compact.js';
import { hasDuplicateMember } from '../../src/tokens/json-members.js';

describe('duplicate member names', () => {
  test('found at any depth, after unescaping; never in arrays or string contents', () => {
    assert.equal(hasDuplicateMember('{"a":1,"a":2}'), true);
    assert.equal(hasDuplicateMember('{"sub":"x","s\\u0075b":"y"}'), true);
    assert.equal(hasDuplicateMember('{"a":{"b":1,"b":2}}'), true);
    assert.equal(hasDuplicateMember('{"a":[{"b":1,"b":2}]}'), true);
    assert.equal(hasDuplicateMember(' { "a" : 1 , "a" : 1 } '), true);
    assert.equal(hasDuplicateMember('{"a":{"a":1},"b":{"a":2}}'), false, 'same name in different objects');
    assert.equal(hasDuplicateMember('{"a":["a","a"]}'), false, 'array items are not names');
    assert.equal(
      hasDuplicateMember('{"a":"\\",\\"a\\":1","b":"{\\"b\\":1,\\"b\\":2}"}'),
      false,
      'inside strings',
    );
    assert.equal(hasDuplicateMember('{"a\\"":1,"a":2}'), false, 'an escaped quote ends no name');
    assert.equal(hasDuplicateMember('{"":1,"":2}'), true, 'the empty name too');
  });

  test('property: JSON.stringify never produces duplicates; adding a repeated member is always found', () => {
    fc.assert(
      fc.property(fc.object({ maxDepth: 3 }), fc.string(), fc.jsonValue(), (value, name, extra) => {
        const text = JSON.stringify(value);
        assert.equal(hasDuplicateMember(text), false);
        const once = JSON.stringify({ ...value, [name]: extra });
        const key = JSON.stringify(name);
        // Append the same member again at the top level.
        const twice = `${once.slice(0, -1)}${once.length > 2 ? ',' : ''}${key}:${JSON.stringify(extra) ?? 'null'}}`;
        assert.equal(hasDuplicateMember(twice), true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('compact shape and segment decoding', () => {
  const reason = (fn: () => unknown) => {
    try {
      fn();
      return 'accepted';
    } catch (error) {
      assert.ok(error instanceof InvalidTokenError);
      return error.reason;
    }
  };

  test('three non-empty base64url segments of possible lengths, within the size limit', () => {
    assert.deepEqual(checkCompactShape('ab.cd.ef', 100, 'jws'), ['ab', 'cd', 'ef']);
    for (const bad of [
      'ab.cd.',
      '.cd.ef',
      'ab.cd',
      'ab.cd.ef.gh',
      'ab.c+.ef',
      'ab.cd.e=',
      'abcde.cd.ef',
      ' ab.cd.ef',
    ]) {
      assert.equal(
        reason(() => checkCompactShape(bad, 100, 'jws')),
        'malformed',
        bad,
      );
    }
    assert.equal(
      reason(() => checkCompactShape(`ab.cd.${'e'.repeat(100)}`, 100, 'jws')),
      'malformed',
    );
    assert.deepEqual(checkCompactShape('ab..cd.ef.gh', 100, 'jwe').length, 5, 'JWE: the key may be empty');
  });

  test('segments must be UTF-8 JSON objects', () => {
    const seg = (text: string | Buffer) => Buffer.from(text).toString('base64url');
    assert.deepEqual(decodeJsonSegment(seg('{"a":1}'), 'header'), { a: 1 });
    for (const bad of ['[1]', '"x"', 'null', '1', '{"a":', '\u00ff']) {
      assert.equal(
        reason(() => decodeJsonSegment(seg(bad), 'payload')),
        'malformed',
        bad,
      );
    }
    assert.equal(
      reason(() => decodeJsonSegment(seg(Buffer.from([0x7b, 0xc3, 0x7d])), 'header')),
      'malformed',
    );
    assert.equal(
      reason(() => decodeJsonSegment(seg('{"a":1,"a":1}'), 'header')),
      'duplicate_member',
    );
  });
});
