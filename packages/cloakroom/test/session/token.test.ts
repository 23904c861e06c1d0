import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  generateTokenParts,
  hashSecret,
  ID_BYTES,
  ID_LENGTH,
  MAX_TOKEN_LENGTH,
  parseToken,
  SECRET_BYTES,
  SECRET_LENGTH,
  secretMatches,
} from '../../src/session/token.js';

const B64URL = /^[A-Za-z0-9_-]+$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const ID = 'AAECAwQFBgcICQoL'; // 12 bytes 0..11
const SECRET = 'DA0ODxAREhMUFRYXGBkaGw'; // 16 bytes 12..27
const MAC = 'HB0eHyAhIiMkJSYnKCkqKw'; // 16 bytes 28..43

/** The same bytes as `text`, spelt with different spare bits in its last character (non-canonical). */
function respellLastChar(text: string, spare: number): string {
  const last = ALPHABET.indexOf(text.at(-1)!);
  return text.slice(0, -1) + ALPHABET[(last & 0b110000) | spare]!;
}

describe('generateTokenParts', () => {
  test('id carries at least 96 bits and secret at least 128 bits, as canonical base64url', () => {
    assert.ok(ID_BYTES * 8 >= 96);
    assert.ok(SECRET_BYTES * 8 >= 128);
    for (let i = 0; i < 100; i++) {
      const { id, secret } = generateTokenParts();
      assert.equal(id.length, ID_LENGTH);
      assert.equal(secret.length, SECRET_LENGTH);
      assert.match(id, B64URL);
      assert.match(secret, B64URL);
      const idBytes = Buffer.from(id, 'base64url');
      const secretBytes = Buffer.from(secret, 'base64url');
      assert.equal(idBytes.length, ID_BYTES);
      assert.equal(secretBytes.length, SECRET_BYTES);
      // Canonical: decoding and re-encoding gives back the same text.
      assert.equal(idBytes.toString('base64url'), id);
      assert.equal(secretBytes.toString('base64url'), secret);
    }
  });

  test('ids and secrets are unique over many draws', () => {
    const ids = new Set<string>();
    const secrets = new Set<string>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const { id, secret } = generateTokenParts();
      ids.add(id);
      secrets.add(secret);
    }
    assert.equal(ids.size, n);
    assert.equal(secrets.size, n);
  });

  test('id and secret are independent random bytes (bit balance, no shared bytes)', () => {
    let ones = 0;
    let bits = 0;
    let sameFirstByte = 0;
    const n = 5_000;
    for (let i = 0; i < n; i++) {
      const { id, secret } = generateTokenParts();
      const bytes = Buffer.concat([Buffer.from(id, 'base64url'), Buffer.from(secret, 'base64url')]);
      for (const byte of bytes) {
        for (let b = byte; b !== 0; b >>= 1) ones += b & 1;
      }
      bits += bytes.length * 8;
      if (bytes[0] === bytes[ID_BYTES]) sameFirstByte++;
    }
    // 1,120,000 bits: a fair source lands within 0.5 +/- 0.005 (over 10 standard deviations).
    assert.ok(Math.abs(ones / bits - 0.5) < 0.005, `bit balance ${ones / bits}`);
    // The first byte of id and secret agree about n/256 times; a copy would agree every time.
    assert.ok(sameFirstByte < n / 50, `id and secret share bytes ${sameFirstByte} times`);
  });
});

describe('parseToken', () => {
  test('accepts an unsigned token', () => {
    assert.deepEqual(parseToken(`${ID}.${SECRET}`), {
      id: ID,
      secret: SECRET,
      payload: `${ID}.${SECRET}`,
      mac: null,
    });
  });

  test('accepts a signed token of 62 characters', () => {
    const token = `${ID}.${SECRET}.${MAC}`;
    assert.equal(token.length, 62);
    assert.ok(token.length <= MAX_TOKEN_LENGTH);
    assert.deepEqual(parseToken(token), { id: ID, secret: SECRET, payload: `${ID}.${SECRET}`, mac: MAC });
  });

  test('accepts the whole base64url alphabet in every part', () => {
    const id = '-_azAZ09-_azAZ09';
    const secret = '-_azAZ09-_azAZ09-_azAZ';
    assert.deepEqual(parseToken(`${id}.${secret}.${secret}`)?.mac, secret);
  });

  const rejected: [string, string][] = [
    ['empty', ''],
    ['id only', ID],
    ['id and dot', `${ID}.`],
    ['trailing dot', `${ID}.${SECRET}.`],
    ['trailing dot after mac', `${ID}.${SECRET}.${MAC}.`],
    ['leading dot', `.${ID}.${SECRET}`],
    ['four parts', `${ID}.${SECRET}.${MAC}.${MAC}`],
    ['id one short', `${ID.slice(1)}.${SECRET}`],
    ['id one long', `${ID}A.${SECRET}`],
    ['secret one short', `${ID}.${SECRET.slice(1)}`],
    ['secret one long', `${ID}.${SECRET}A`],
    ['mac one short', `${ID}.${SECRET}.${MAC.slice(1)}`],
    ['mac one long', `${ID}.${SECRET}.${MAC}A`],
    ['mac of id length', `${ID}.${SECRET}.${ID}`],
    ['parts swapped', `${SECRET}.${ID}`],
    ['parts swapped with mac', `${SECRET}.${ID}.${MAC}`],
    ['standard base64 "+"', `${ID.slice(0, -1)}+.${SECRET}`],
    ['standard base64 "/"', `${ID}.${SECRET.slice(0, -1)}/`],
    ['padding', `${ID}.${SECRET.slice(0, -2)}==`],
    ['space inside', `${ID}.${SECRET.slice(0, -1)} `],
    ['leading space', ` ${ID}.${SECRET}`],
    ['trailing space', `${ID}.${SECRET} `],
    ['trailing newline', `${ID}.${SECRET}\n`],
    ['trailing newline after mac', `${ID}.${SECRET}.${MAC}\n`],
    ['leading newline', `\n${ID}.${SECRET}`],
    ['NUL', `${ID}.${SECRET.slice(0, -1)}\0`],
    ['non-ASCII letter', `${ID.slice(0, -1)}é.${SECRET}`],
    ['fullwidth letter', `${ID.slice(0, -1)}Ａ.${SECRET}`],
    ['quoted', `"${ID}.${SECRET}"`],
    ['percent-encoded', `${ID}%2E${SECRET}`],
    ['comma separator', `${ID},${SECRET}`],
    ['colon separator', `${ID}:${SECRET}`],
    ['oversize', `${ID}.${SECRET}.${MAC}${'A'.repeat(1000)}`],
  ];
  for (const [name, value] of rejected) {
    test(`rejects: ${name}`, () => {
      assert.equal(parseToken(value), null);
    });
  }

  test('never accepts anything longer than MAX_TOKEN_LENGTH', () => {
    assert.equal(parseToken('A'.repeat(MAX_TOKEN_LENGTH + 1)), null);
    assert.equal(parseToken(`${ID}.${SECRET}.${MAC}`.padEnd(100_000, 'A')), null);
  });
});

describe('hashSecret and secretMatches', () => {
  test('hashSecret is SHA-256 of the secret text', () => {
    for (const secret of [SECRET, generateTokenParts().secret, '', 'é', '\u{1F600}']) {
      const expected = createHash('sha256').update(secret, 'utf8').digest();
      assert.deepEqual(hashSecret(secret), expected);
      assert.equal(hashSecret(secret).length, 32);
    }
  });

  test('hashes the text, not the decoded bytes', () => {
    const decodedHash = createHash('sha256').update(Buffer.from(SECRET, 'base64url')).digest();
    assert.notDeepEqual(hashSecret(SECRET), decodedHash);
  });

  test('secretMatches accepts the secret and refuses others', () => {
    const { secret } = generateTokenParts();
    const stored = hashSecret(secret);
    assert.equal(secretMatches(secret, stored), true);
    assert.equal(secretMatches(generateTokenParts().secret, stored), false);
    assert.equal(secretMatches('', stored), false);
    assert.equal(secretMatches(secret.slice(1), stored), false);
    assert.equal(secretMatches(`${secret} `, stored), false);
  });

  test('secretMatches refuses a stored hash of the wrong length without throwing', () => {
    const { secret } = generateTokenParts();
    assert.equal(secretMatches(secret, hashSecret(secret).subarray(0, 16)), false);
    assert.equal(secretMatches(secret, new Uint8Array(0)), false);
    assert.equal(secretMatches(secret, Buffer.concat([hashSecret(secret), Buffer.alloc(1)])), false);
  });

  test('a non-canonical spelling of the same secret bytes does not match', () => {
    for (let i = 0; i < 50; i++) {
      const secret = randomBytes(SECRET_BYTES).toString('base64url');
      const stored = hashSecret(secret);
      // 22 characters carry 132 bits for 128: the last character has 4 spare bits, zero when canonical.
      for (let spare = 1; spare < 16; spare++) {
        const respelt = respellLastChar(secret, spare);
        assert.notEqual(respelt, secret);
        assert.deepEqual(Buffer.from(respelt, 'base64url'), Buffer.from(secret, 'base64url'));
        assert.notEqual(parseToken(`${ID}.${respelt}`), null, 'the shape check alone lets it through');
        assert.equal(secretMatches(respelt, stored), false);
      }
    }
  });
});
