// NIST SP 800-63B password rules: 8 to 128 characters (code points, after NFC), not common, not the email.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  checkNewPassword,
  normalizePassword,
  passwordLength,
} from '../../src/accounts/password-policy.js';
import { InvalidRequestError } from '../../src/errors.js';
import { WeakPasswordError, type WeakPasswordReason } from '../../src/accounts/errors.js';
import { params } from '../property/support.js';

function reasonOf(password: string, email?: string): WeakPasswordReason | null {
  try {
    checkNewPassword(password, email === undefined ? {} : { email });
    return null;
  } catch (error) {
    assert.ok(error instanceof WeakPasswordError, String(error));
    assert.equal(error.code, 'weak_password');
    return error.reason;
  }
}

describe('password policy', () => {
  test('the limits are 8 and 128', () => {
    assert.equal(MIN_PASSWORD_LENGTH, 8);
    assert.equal(MAX_PASSWORD_LENGTH, 128);
  });

  test('8 to 128 characters pass; 7 and 129 do not', () => {
    assert.equal(reasonOf('q7#Lm!2'), 'too_short');
    assert.equal(reasonOf('q7#Lm!2z'), null);
    assert.equal(reasonOf('ab'.repeat(64)), null);
    assert.equal(reasonOf('ab'.repeat(64) + 'c'), 'too_long');
    assert.equal(reasonOf(''), 'too_short');
  });

  test('characters are code points: emoji and astral characters count once', () => {
    assert.equal(passwordLength('🔑🔒'), 2);
    assert.equal(reasonOf('🔑'.repeat(7)), 'too_short');
    assert.equal(reasonOf('🔑'.repeat(8)), null);
    assert.equal(reasonOf('𝔸'.repeat(128)), null, '128 astral characters are 256 UTF-16 units, and fine');
    assert.equal(reasonOf('𝔸'.repeat(129)), 'too_long');
  });

  test('a huge password is refused as too long, quickly', () => {
    const started = performance.now();
    assert.equal(reasonOf('x'.repeat(10_000_000)), 'too_long');
    assert.ok(performance.now() - started < 500);
  });

  test('no composition rules: a long plain lowercase passphrase is fine', () => {
    assert.equal(reasonOf('the quick brown fox jumps'), null);
  });

  test('common passwords are refused, whatever their letter case', () => {
    for (const password of [
      'password123',
      'PASSWORD123',
      'Password123',
      'iloveyou1',
      'qwertyuiop',
      '12345678',
    ]) {
      assert.equal(reasonOf(password), 'common', password);
    }
  });

  test('the email, or its local part, is refused as the password', () => {
    assert.equal(reasonOf('ada.lovelace@example.com', 'ada.lovelace@example.com'), 'contains_email');
    assert.equal(reasonOf('Ada.Lovelace@Example.com', 'ada.lovelace@example.com'), 'contains_email');
    assert.equal(reasonOf('ada.lovelace', 'ada.lovelace@example.com'), 'contains_email');
    assert.equal(reasonOf('ada.lovelace rocks', 'ada.lovelace@example.com'), null);
  });

  test('the length rule comes first, so an over-long password never reaches the list lookups', () => {
    assert.equal(reasonOf('password'.repeat(17), 'x@example.com'), 'too_long');
  });

  test('normalizePassword: NFC, so composed and decomposed spellings are one password', () => {
    const composed = 'caf\u00e9-cr\u00e8me';
    const decomposed = composed.normalize('NFD');
    assert.notEqual(composed, decomposed);
    assert.equal(normalizePassword(decomposed), composed);
    // Decomposed, 'é' is two code points; it counts as one after normalization.
    assert.equal(passwordLength(decomposed), 12);
    assert.equal(passwordLength(normalizePassword(decomposed)), 10);
    assert.equal(reasonOf(normalizePassword('e\u0301'.repeat(7))), 'too_short');
  });

  test('normalizePassword: a non-string is InvalidRequestError naming the field', () => {
    for (const value of [undefined, null, 12345678, ['a password'], { toString: () => 'a password' }]) {
      assert.throws(
        () => normalizePassword(value, 'newPassword'),
        (error: unknown) =>
          error instanceof InvalidRequestError &&
          error.field === 'newPassword' &&
          !error.message.includes('a password'),
      );
    }
    assert.throws(
      () => normalizePassword(1),
      (error: unknown) => (error as InvalidRequestError).field === 'password',
    );
  });

  test('property: any string gets an answer (never a crash), and the length rule is exactly 8..128 code points', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (raw) => {
        const password = normalizePassword(raw);
        const reason = reasonOf(password);
        const length = passwordLength(password);
        if (length < 8) assert.equal(reason, 'too_short');
        else if (length > 128) assert.equal(reason, 'too_long');
        else assert.ok(reason === null || reason === 'common');
      }),
      params(500),
    );
  });
});
