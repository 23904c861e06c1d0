// Email normalization: the one canonical form accounts are stored and looked up in.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeEmail } from '../../src/accounts/email.js';
import { InvalidRequestError } from '../../src/errors.js';
import { params } from '../property/support.js';

function refusal(value: unknown): InvalidRequestError {
  try {
    normalizeEmail(value);
  } catch (error) {
    assert.ok(error instanceof InvalidRequestError, String(error));
    assert.equal(error.code, 'invalid_request');
    assert.equal(error.field, 'email');
    return error;
  }
  assert.fail(`${JSON.stringify(value)} was accepted`);
}

describe('normalizeEmail', () => {
  test('trims, lower-cases and NFC-normalizes', () => {
    assert.equal(normalizeEmail('  Ada.Lovelace@Example.COM\t'), 'ada.lovelace@example.com');
    assert.equal(normalizeEmail('Jose\u0301@example.com'), 'jos\u00e9@example.com');
    assert.equal(normalizeEmail('JOSÉ@EXAMPLE.COM'), normalizeEmail('jose\u0301@example.com'));
  });

  test('accepts ordinary real-world addresses', () => {
    for (const email of [
      'a@b.co',
      'first.last+tag@example.co.uk',
      "o'brien@example.ie",
      'user_name-1@sub.domain.example',
      'jörg@bücher.de',
      '用户@例子.广告',
      '"quoted"@example.com',
    ]) {
      assert.equal(normalizeEmail(email), email.toLowerCase());
    }
  });

  test('refuses what is not an address', () => {
    for (const email of [
      '',
      '   ',
      'plain',
      '@example.com',
      'ada@',
      'ada@example',
      'ada@@example.com',
      'ada@exa@mple.com',
      'ada lovelace@example.com',
      'ada@exa mple.com',
      'ada@example.com\nBcc: victim@example.com',
      'ada\u0000@example.com',
      'ada@exam\rple.com',
      'ada@.',
    ]) {
      refusal(email);
    }
  });

  test('254 characters at most (RFC 5321), after trimming', () => {
    const at254 = `${'a'.repeat(254 - '@example.com'.length)}@example.com`;
    assert.equal(at254.length, 254);
    assert.equal(normalizeEmail(`  ${at254}  `), at254);
    refusal(`a${at254}`);
    refusal(`${'x'.repeat(1_000_000)}@example.com`);
  });

  test('a non-string is refused with a message that names the field only', () => {
    for (const value of [undefined, null, 42, true, ['a@b.co'], { email: 'a@b.co' }]) {
      const error = refusal(value);
      assert.equal(error.message, 'email must be a string');
    }
  });

  test('the message never echoes the input', () => {
    const error = refusal('secret-looking-value');
    assert.ok(!error.message.includes('secret-looking-value'));
  });

  test('property: any input is either refused with InvalidRequestError or normalized idempotently', () => {
    const local = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
    const candidates = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.tuple(local, local, local).map(([a, b, c]) => `${a}@${b}.${c}`),
      fc.emailAddress(),
    );
    fc.assert(
      fc.property(candidates, (value) => {
        let email: string;
        try {
          email = normalizeEmail(value);
        } catch (error) {
          assert.ok(error instanceof InvalidRequestError);
          return;
        }
        assert.equal(normalizeEmail(email), email, 'idempotent');
        assert.equal(email, email.trim());
        assert.equal(email, email.toLowerCase());
        assert.equal(email, email.normalize('NFC'));
        assert.ok(email.length <= 254);
        assert.equal(email.split('@').length, 2);
      }),
      params(500),
    );
  });

  test('property: generated valid addresses are accepted', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        assert.equal(normalizeEmail(email), email.toLowerCase());
      }),
      params(300),
    );
  });
});
