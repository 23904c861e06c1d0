// TwoFactor on memory stores with a manual clock: codes computed here from the secret (otplib), setup and
// enable, replay refused, ±1 step, recovery codes single use, the pending step (single use, 5 minutes,
// bound to its user), throttling, and the secret encrypted at rest.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateSync } from 'otplib';
import { InvalidCodeError, TooManyAttemptsError } from '../../../src/accounts/errors.js';
import { TotpSecretBox } from '../../../src/accounts/mfa/secret-box.js';
import { MemoryMfaStore, MemoryPendingSignInStore } from '../../../src/accounts/mfa/stores/memory.js';
import { TwoFactor } from '../../../src/accounts/mfa/two-factor.js';
import { MemoryAttemptStore, MemoryUserStore } from '../../../src/accounts/stores/memory.js';
import { ManualClock, MINUTE, SECOND } from '../../helpers/clock.js';

const KEY = { id: 'k1', secret: 'a-test-key-of-at-least-thirty-two-characters' };
const user = { id: 'u1', email: 'ada@example.com' };

async function setUp() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const store = new MemoryMfaStore();
  const pending = new MemoryPendingSignInStore();
  const users = new MemoryUserStore();
  await users.create({ ...user, passwordHash: null, createdAt: clock.now() });
  const twoFactor = new TwoFactor({
    store,
    pending,
    users,
    attempts: new MemoryAttemptStore(),
    secretBox: new TotpSecretBox([KEY]),
    issuer: 'Cloakroom',
    clock,
  });
  const codeAt = (secret: string, ms = clock.now()) => generateSync({ secret, epoch: Math.floor(ms / 1000) });
  return { clock, store, pending, twoFactor, codeAt };
}

async function enabled() {
  const env = await setUp();
  const { secret } = await env.twoFactor.setupTotp(user);
  const { recoveryCodes } = await env.twoFactor.enableTotp(user.id, { code: env.codeAt(secret) });
  env.clock.advance(30 * SECOND); // the enabling code's step is used up
  return { ...env, secret, recoveryCodes };
}

describe('TOTP setup and enable', () => {
  test('setup gives a base32 secret and its otpauth URL; two-factor stays off until a code confirms it', async () => {
    const { twoFactor, store, codeAt } = await setUp();
    const { secret, otpauthUrl } = await twoFactor.setupTotp(user);
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const url = new URL(otpauthUrl);
    assert.equal(url.protocol, 'otpauth:');
    assert.equal(url.searchParams.get('secret'), secret);
    assert.equal(url.searchParams.get('issuer'), 'Cloakroom');
    assert.equal(await twoFactor.isEnabled(user.id), false);
    // Stored encrypted: not the secret, and the box's format with its key id.
    const stored = await store.findTotp(user.id);
    assert.match(stored?.pendingSecret ?? '', /^v1\.k1\./);
    assert.ok(!(stored?.pendingSecret ?? '').includes(secret));

    await assert.rejects(twoFactor.enableTotp(user.id, { code: '000000' }), (error: unknown) => {
      assert.ok(error instanceof InvalidCodeError);
      assert.equal(error.httpStatus, 400);
      return true;
    });
    await assert.rejects(twoFactor.enableTotp(user.id, { code: 'abc' }), InvalidCodeError);
    const { recoveryCodes } = await twoFactor.enableTotp(user.id, { code: codeAt(secret) });
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    for (const code of recoveryCodes) assert.match(code, /^[0-9a-f]{5}(-[0-9a-f]{5}){3}$/);
    assert.equal(await twoFactor.isEnabled(user.id), true);
    assert.deepStrictEqual(await twoFactor.status(user.id), { totp: true, recoveryCodesLeft: 10 });
  });

  test('enable without a setup under way is refused', async () => {
    const { twoFactor } = await setUp();
    await assert.rejects(twoFactor.enableTotp(user.id, { code: '123456' }), InvalidCodeError);
  });
});

describe('TOTP codes', () => {
  test('a code passes once: the same code again (same window) is refused', async () => {
    const { twoFactor, secret, codeAt } = await enabled();
    const code = codeAt(secret);
    assert.equal(await twoFactor.verify(user.id, { code }), 'totp');
    await assert.rejects(twoFactor.verify(user.id, { code }), InvalidCodeError);
  });

  test('two concurrent requests with the same code: one passes', async () => {
    const { twoFactor, secret, codeAt } = await enabled();
    const code = codeAt(secret);
    const results = await Promise.allSettled([
      twoFactor.verify(user.id, { code }),
      twoFactor.verify(user.id, { code }),
    ]);
    assert.deepStrictEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  });

  test('one step of drift either side passes; two steps do not', async () => {
    const { twoFactor, secret, codeAt, clock } = await enabled();
    clock.advance(5 * MINUTE);
    await assert.rejects(twoFactor.verify(user.id, { code: codeAt(secret, clock.now() - 60 * SECOND) }));
    await assert.rejects(twoFactor.verify(user.id, { code: codeAt(secret, clock.now() + 60 * SECOND) }));
    assert.equal(
      await twoFactor.verify(user.id, { code: codeAt(secret, clock.now() - 30 * SECOND) }),
      'totp',
    );
    assert.equal(
      await twoFactor.verify(user.id, { code: codeAt(secret, clock.now() + 30 * SECOND) }),
      'totp',
    );
    // After accepting the next step's code, the current step's code is an older one: refused.
    await assert.rejects(twoFactor.verify(user.id, { code: codeAt(secret) }), InvalidCodeError);
  });

  test('turned off, codes no longer pass', async () => {
    const { twoFactor, secret, codeAt } = await enabled();
    assert.equal(await twoFactor.disableTotp(user.id), true);
    await assert.rejects(twoFactor.verify(user.id, { code: codeAt(secret) }), InvalidCodeError);
    assert.equal(await twoFactor.isEnabled(user.id), false);
  });
});

describe('recovery codes', () => {
  test('each works once, in any case and grouping; a new set replaces the old', async () => {
    const { twoFactor, recoveryCodes } = await enabled();
    const [first = '', second = ''] = recoveryCodes;
    assert.equal(await twoFactor.verify(user.id, { recoveryCode: first.toUpperCase() }), 'recovery_code');
    await assert.rejects(twoFactor.verify(user.id, { recoveryCode: first }), InvalidCodeError);
    assert.deepStrictEqual(await twoFactor.status(user.id), { totp: true, recoveryCodesLeft: 9 });
    const fresh = await twoFactor.regenerateRecoveryCodes(user.id);
    assert.equal(fresh.length, 10);
    await assert.rejects(twoFactor.verify(user.id, { recoveryCode: second }), InvalidCodeError);
    assert.equal(
      await twoFactor.verify(user.id, { recoveryCode: (fresh[0] ?? '').replace(/-/g, ' ') }),
      'recovery_code',
    );
  });

  test('stored as SHA-256 hashes, never the codes', async () => {
    const { store, recoveryCodes } = await enabled();
    const hashes = await store.listRecoveryCodes(user.id);
    assert.equal(hashes.length, 10);
    for (const code of recoveryCodes) {
      for (const hash of hashes) assert.ok(!hash.includes(code.replace(/-/g, '')));
    }
    for (const hash of hashes) assert.match(hash, /^[A-Za-z0-9_-]{43}$/);
  });

  test('malformed input and both fields at once are refused without a crash', async () => {
    const { twoFactor, recoveryCodes } = await enabled();
    for (const input of [{}, { code: 123456 }, { recoveryCode: 'x'.repeat(5000) }, { code: null }]) {
      await assert.rejects(twoFactor.verify(user.id, input), InvalidCodeError);
    }
    await assert.rejects(
      twoFactor.verify(user.id, { code: '123456', recoveryCode: recoveryCodes[0] }),
      InvalidCodeError,
    );
  });
});

describe('the pending sign-in', () => {
  test('completes once with a code, giving amr pwd+otp+mfa', async () => {
    const { twoFactor, secret, codeAt, clock } = await enabled();
    const { token } = await twoFactor.beginSignIn(user.id, ['pwd']);
    await assert.rejects(twoFactor.completeSignIn(token, { code: '000000' }, null), InvalidCodeError);
    const done = await twoFactor.completeSignIn(token, { code: codeAt(secret) }, null);
    assert.deepStrictEqual(done.user, user);
    assert.deepStrictEqual(done.amr, ['pwd', 'otp', 'mfa']);
    clock.advance(30 * SECOND);
    await assert.rejects(twoFactor.completeSignIn(token, { code: codeAt(secret) }, null), InvalidCodeError);
  });

  test('expires after 5 minutes', async () => {
    const { twoFactor, secret, codeAt, clock } = await enabled();
    const { token, expiresAt } = await twoFactor.beginSignIn(user.id, ['pwd']);
    assert.equal(expiresAt, clock.now() + 5 * MINUTE);
    clock.advance(5 * MINUTE);
    assert.equal(await twoFactor.findPendingSignIn(token), null);
    await assert.rejects(twoFactor.completeSignIn(token, { code: codeAt(secret) }, null), InvalidCodeError);
  });

  test('stored hashed; a malformed or unknown token is refused', async () => {
    const { twoFactor, pending } = await enabled();
    const { token } = await twoFactor.beginSignIn(user.id, ['pwd']);
    assert.equal(await pending.find(token), null, 'not stored under the token itself');
    for (const bad of [undefined, '', 'x', token.slice(1) + 'A', 42]) {
      await assert.rejects(twoFactor.completeSignIn(bad, { code: '123456' }, null), InvalidCodeError);
    }
  });

  test('wrong codes are throttled like sign-in (429), before the code is checked', async () => {
    const { twoFactor, secret, codeAt } = await enabled();
    const { token } = await twoFactor.beginSignIn(user.id, ['pwd']);
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        twoFactor.completeSignIn(token, { code: '000000' }, '203.0.113.9'),
        InvalidCodeError,
      );
    }
    await assert.rejects(
      twoFactor.completeSignIn(token, { code: codeAt(secret) }, '203.0.113.9'),
      TooManyAttemptsError,
    );
  });
});

describe('TotpSecretBox', () => {
  test('round trip; bound to the user; rotation keeps old ciphertexts readable', () => {
    const old = new TotpSecretBox([KEY]);
    const sealed = old.encrypt('u1', 'JBSWY3DPEHPK3PXP');
    assert.equal(old.decrypt('u1', sealed), 'JBSWY3DPEHPK3PXP');
    assert.equal(old.decrypt('u2', sealed), null, "another user's row");
    const rotated = new TotpSecretBox([
      { id: 'k2', secret: 'another-key-of-at-least-thirty-two-chars!' },
      KEY,
    ]);
    assert.equal(rotated.decrypt('u1', sealed), 'JBSWY3DPEHPK3PXP');
    assert.equal(rotated.needsReencrypt(sealed), true);
    assert.match(rotated.encrypt('u1', 'x'), /^v1\.k2\./);
    const withoutOld = new TotpSecretBox([{ id: 'k2', secret: 'another-key-of-at-least-thirty-two-chars!' }]);
    assert.equal(withoutOld.decrypt('u1', sealed), null);
  });

  test('tampered or malformed ciphertexts read as null, never throw', () => {
    const box = new TotpSecretBox([KEY]);
    const sealed = box.encrypt('u1', 'JBSWY3DPEHPK3PXP');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    const tampered = [...parts.slice(0, 3), body.toString('base64url')].join('.');
    for (const bad of [tampered, '', 'v1', 'v2.k1.a.b', `${sealed}.x`, 'v1.k1.AAAA.AAAA']) {
      assert.equal(box.decrypt('u1', bad), null);
    }
  });

  test('weak or misnamed keys are refused (TypeError)', () => {
    assert.throws(() => new TotpSecretBox([]), TypeError);
    assert.throws(() => new TotpSecretBox([{ id: 'k1', secret: 'short' }]), TypeError);
    assert.throws(() => new TotpSecretBox([{ id: 'bad.id', secret: KEY.secret }]), TypeError);
    assert.throws(() => new TotpSecretBox([KEY, KEY]), TypeError);
  });
});
