// Client secrets: the stored form and its comparison (the registration rules run in the store conformance
// suite, against every store).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashClientSecret, verifyClientSecret } from '../../../src/tokens/issuer/clients.js';

test('client secret hashes are versioned and compared in constant time', () => {
  const hash = hashClientSecret('s3cret');
  assert.match(hash, /^sha256:[A-Za-z0-9_-]{43}$/);
  assert.equal(verifyClientSecret(hash, 's3cret'), true);
  assert.equal(verifyClientSecret(hash, 's3cret2'), false);
  assert.equal(verifyClientSecret('md5:abc', 's3cret'), false);
  assert.equal(verifyClientSecret('', 's3cret'), false);
});
