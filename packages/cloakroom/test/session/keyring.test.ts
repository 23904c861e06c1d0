import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Keyring, MAC_BYTES } from '../../src/session/keyring.js';

const KEY_OLD = 'old-secret-old-secret-old-secret'; // 32 bytes
const KEY_NEW = randomBytes(32);
const KEY_OTHER = 'o'.repeat(40);
const PAYLOAD = 'AAECAwQFBgcICQoL.DA0ODxAREhMUFRYXGBkaGw';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('Keyring', () => {
  test('signs with a 22-character base64url MAC (128 bits) that verifies', () => {
    const ring = new Keyring([KEY_OLD]);
    const mac = ring.sign(PAYLOAD);
    assert.match(mac, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(Buffer.from(mac, 'base64url').length, MAC_BYTES);
    assert.ok(MAC_BYTES * 8 >= 128);
    assert.equal(ring.sign(PAYLOAD), mac, 'deterministic');
    assert.equal(ring.verify(PAYLOAD, mac), true);
  });

  test('refuses a MAC over another payload, and another payload under a MAC', () => {
    const ring = new Keyring([KEY_OLD]);
    const mac = ring.sign(PAYLOAD);
    const otherPayload = `${PAYLOAD.slice(0, -1)}x`;
    assert.notEqual(ring.sign(otherPayload), mac);
    assert.equal(ring.verify(otherPayload, mac), false);
    assert.equal(ring.verify(PAYLOAD, ring.sign(otherPayload)), false);
    assert.equal(ring.verify('', mac), false);
  });

  test('refuses truncated, extended, empty and case-changed MACs', () => {
    const ring = new Keyring([KEY_OLD]);
    const mac = ring.sign(PAYLOAD);
    assert.equal(ring.verify(PAYLOAD, mac.slice(0, -1)), false);
    assert.equal(ring.verify(PAYLOAD, `${mac}A`), false);
    assert.equal(ring.verify(PAYLOAD, ''), false);
    assert.equal(ring.verify(PAYLOAD, `${mac}=`), false);
    const flipped = [...mac].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
    if (flipped !== mac) assert.equal(ring.verify(PAYLOAD, flipped), false);
  });

  test('refuses every single-character change of the MAC', () => {
    const ring = new Keyring([KEY_OLD]);
    const mac = ring.sign(PAYLOAD);
    for (let i = 0; i < mac.length; i++) {
      for (const c of ALPHABET) {
        if (c === mac[i]) continue;
        const changed = mac.slice(0, i) + c + mac.slice(i + 1);
        assert.equal(ring.verify(PAYLOAD, changed), false, `position ${i}`);
      }
    }
  });

  test("refuses a MAC whose last character's spare bits are changed (same decoded bytes)", () => {
    const ring = new Keyring([KEY_OLD]);
    for (let n = 0; n < 20; n++) {
      const payload = `${PAYLOAD}${n}`;
      const mac = ring.sign(payload);
      const last = ALPHABET.indexOf(mac.at(-1)!);
      assert.equal(last & 0b1111, 0, 'canonical MACs have zero spare bits');
      for (let spare = 1; spare < 16; spare++) {
        const respelt = mac.slice(0, -1) + ALPHABET[(last & 0b110000) | spare]!;
        assert.deepEqual(Buffer.from(respelt, 'base64url'), Buffer.from(mac, 'base64url'));
        assert.equal(ring.verify(payload, respelt), false);
      }
    }
  });

  test('refuses a MAC spelt with other characters in standard base64 or padding', () => {
    const ring = new Keyring([KEY_OLD]);
    // Find payloads whose MACs contain '-' or '_', and present them in standard base64.
    let checked = 0;
    for (let n = 0; checked < 5 && n < 1000; n++) {
      const payload = `${PAYLOAD}${n}`;
      const mac = ring.sign(payload);
      if (!/[-_]/.test(mac)) continue;
      checked++;
      const standard = mac.replaceAll('-', '+').replaceAll('_', '/');
      assert.equal(ring.verify(payload, standard), false);
      assert.equal(ring.verify(payload, `${mac}==`), false);
    }
    assert.equal(checked, 5);
  });

  test('refuses a MAC whose characters differ only above the low byte', () => {
    const ring = new Keyring([KEY_OLD]);
    const mac = ring.sign(PAYLOAD);
    for (let i = 0; i < mac.length; i++) {
      for (const high of [0x100, 0x4100, 0xff00]) {
        const changed = mac.slice(0, i) + String.fromCharCode(mac.charCodeAt(i) + high) + mac.slice(i + 1);
        assert.equal(ring.verify(PAYLOAD, changed), false, `position ${i} + ${high.toString(16)}`);
      }
    }
  });

  test('the MAC is keyed with a derived key, not the raw secret', () => {
    const ring = new Keyring([KEY_OLD]);
    const raw = createHmac('sha256', KEY_OLD)
      .update(PAYLOAD)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
    assert.notEqual(ring.sign(PAYLOAD), raw);
  });

  test('a MAC made with a key that has been removed fails', () => {
    const before = new Keyring([KEY_NEW, KEY_OLD]);
    const macOld = new Keyring([KEY_OLD]).sign(PAYLOAD);
    assert.equal(before.verify(PAYLOAD, macOld), true);
    const after = new Keyring([KEY_NEW]);
    assert.equal(after.verify(PAYLOAD, macOld), false);
    assert.equal(after.verify(PAYLOAD, before.sign(PAYLOAD)), true, 'the kept key still verifies');
  });

  test('rotation: the new first key signs, the old second key still verifies', () => {
    const old = new Keyring([KEY_OLD]);
    const rotated = new Keyring([KEY_NEW, KEY_OLD]);
    const oldMac = old.sign(PAYLOAD);
    assert.equal(rotated.verify(PAYLOAD, oldMac), true);
    const newMac = rotated.sign(PAYLOAD);
    assert.notEqual(newMac, oldMac);
    assert.equal(newMac, new Keyring([KEY_NEW]).sign(PAYLOAD));
    assert.equal(old.verify(PAYLOAD, newMac), false, 'a server not yet rotated does not know the new key');
    assert.equal(rotated.size, 2);
  });

  test('verification accepts a MAC from any key, whatever its position', () => {
    const keys = [KEY_OLD, KEY_NEW, KEY_OTHER];
    const macs = keys.map((key) => new Keyring([key]).sign(PAYLOAD));
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const order of orders) {
      const ring = new Keyring(order.map((i) => keys[i]!));
      for (const mac of macs) assert.equal(ring.verify(PAYLOAD, mac), true, `order ${order.join()}`);
      assert.equal(ring.sign(PAYLOAD), macs[order[0]!]);
      assert.equal(ring.verify(PAYLOAD, new Keyring(['x'.repeat(32)]).sign(PAYLOAD)), false);
    }
  });

  test('string and byte secrets with the same bytes are the same key', () => {
    assert.equal(new Keyring([KEY_OLD]).sign(PAYLOAD), new Keyring([Buffer.from(KEY_OLD)]).sign(PAYLOAD));
    assert.equal(
      new Keyring([KEY_OLD]).sign(PAYLOAD),
      new Keyring([new Uint8Array(Buffer.from(KEY_OLD))]).sign(PAYLOAD),
    );
  });

  test('short secrets throw TypeError, whatever their position', () => {
    assert.throws(() => new Keyring(['x'.repeat(31)]), TypeError);
    assert.throws(() => new Keyring([new Uint8Array(31)]), TypeError);
    assert.throws(() => new Keyring(['']), TypeError);
    assert.throws(() => new Keyring([KEY_OLD, 'short']), TypeError);
    assert.throws(() => new Keyring([KEY_OLD, KEY_NEW, new Uint8Array(16)]), TypeError);
    assert.doesNotThrow(() => new Keyring(['x'.repeat(32)]));
    assert.doesNotThrow(() => new Keyring([new Uint8Array(32)]));
  });

  test('a short secret is not echoed in the error message', () => {
    const secret = 'hunter2-hunter2';
    assert.throws(
      () => new Keyring([secret]),
      (error: unknown) => error instanceof TypeError && !error.message.includes(secret),
    );
  });

  test('an empty or missing key list throws TypeError', () => {
    assert.throws(() => new Keyring([]), TypeError);
    assert.throws(() => new Keyring(undefined as unknown as string[]), TypeError);
    assert.throws(() => new Keyring(KEY_OLD as unknown as string[]), TypeError);
  });
});
