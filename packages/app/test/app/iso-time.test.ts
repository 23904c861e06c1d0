// The notes' remembered ISO times must be exactly what Date gives, for any instant a note can carry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isoTime } from '../../src/app/notes.js';

test('isoTime is new Date(ms).toISOString(), first and second time', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
      const expected = new Date(ms).toISOString();
      assert.equal(isoTime(ms), expected);
      assert.equal(isoTime(ms), expected, 'from the cache');
    }),
  );
});

test('isoTime keeps answering correctly past its cache bound', () => {
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 120_000; i += 1) isoTime(start + i);
  assert.equal(isoTime(start), new Date(start).toISOString());
  assert.equal(isoTime(start + 119_999), new Date(start + 119_999).toISOString());
});
