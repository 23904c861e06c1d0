// Passkey ceremonies end to end against a software authenticator (node:crypto ES256, attestation 'none'):
// registration and sign-in verify for real, and every way to get one wrong is refused with invalid_passkey.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ZodError } from 'zod';
import { InvalidPasskeyError } from '../../src/accounts/errors.js';
import { Passkeys } from '../../src/accounts/passkeys/passkeys.js';
import { relyingPartyFromOrigin } from '../../src/accounts/passkeys/relying-party.js';
import {
  MemoryPasskeyChallengeStore,
  MemoryPasskeyStore,
} from '../../src/accounts/stores/passkeys/memory.js';
import { ManualClock, MINUTE } from '../helpers/clock.js';
import {
  SoftwareAuthenticator,
  type CreationOptions,
  type Tampering,
} from '../helpers/software-authenticator.js';

const ORIGIN = 'https://app.example.com';
const user = { id: '6f1c7d2e-0000-4000-8000-000000000001', email: 'ada@example.com' };

function setup() {
  const clock = new ManualClock();
  const store = new MemoryPasskeyStore();
  const passkeys = new Passkeys({
    origin: ORIGIN,
    rpName: 'Cloakroom',
    store,
    challenges: new MemoryPasskeyChallengeStore(),
    clock,
  });
  return { clock, store, passkeys };
}

async function refused(promise: Promise<unknown>): Promise<InvalidPasskeyError> {
  const error = await promise.then(
    () => assert.fail('accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InvalidPasskeyError, String(error));
  assert.equal(error.code, 'invalid_passkey');
  return error;
}

async function registered(
  passkeys: Passkeys,
  options: { synced?: boolean; keepsCounter?: boolean } = {},
): Promise<SoftwareAuthenticator> {
  const authenticator = new SoftwareAuthenticator(ORIGIN, options);
  const creation = (await passkeys.registrationOptions(user)) as unknown as CreationOptions;
  await passkeys.register(user.id, authenticator.create(creation));
  return authenticator;
}

async function signIn(passkeys: Passkeys, authenticator: SoftwareAuthenticator, tamper: Tampering = {}) {
  const { options, handle } = await passkeys.authenticationOptions('sign_in');
  return passkeys.authenticate(handle, authenticator.get(options, tamper), {
    purpose: 'sign_in',
  });
}

describe('relying party from the origin', () => {
  test('the RP ID is the host name; paths, odd schemes and garbage are refused', () => {
    assert.deepEqual(relyingPartyFromOrigin('http://localhost:3000', 'X'), {
      id: 'localhost',
      origin: 'http://localhost:3000',
      name: 'X',
    });
    assert.equal(relyingPartyFromOrigin('https://app.example.com/', 'X').origin, 'https://app.example.com');
    for (const bad of [
      'https://example.com/app',
      'ftp://example.com',
      'not a url',
      'https://u:p@example.com',
    ]) {
      assert.throws(() => relyingPartyFromOrigin(bad, 'X'), TypeError, bad);
    }
  });
});

describe('registration', () => {
  test('asks for a discoverable credential with user verification, and stores the verified passkey', async () => {
    const { passkeys, clock } = setup();
    const options = await passkeys.registrationOptions(user);
    assert.equal((options.rp as { id: string }).id, 'app.example.com');
    assert.deepEqual(options.authenticatorSelection, {
      residentKey: 'required',
      userVerification: 'required',
      requireResidentKey: true,
    });
    assert.equal(options.attestation, 'none');
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const passkey = await passkeys.register(
      user.id,
      authenticator.create(options as unknown as CreationOptions),
    );
    assert.equal(passkey.id, authenticator.id);
    assert.equal(passkey.userId, user.id);
    assert.equal(passkey.name, 'Passkey 1');
    assert.equal(passkey.createdAt, clock.now());
    assert.equal(passkey.backupEligible, false);
    assert.deepEqual(passkey.transports, ['internal']);
    assert.deepEqual(
      (await passkeys.list(user.id)).map((p) => p.id),
      [authenticator.id],
    );
    // The second registration excludes the first credential.
    const again = await passkeys.registrationOptions(user);
    assert.deepEqual(
      (again.excludeCredentials as { id: string }[]).map((c) => c.id),
      [authenticator.id],
    );
  });

  test('a name is cleaned and cut; a synced passkey is backup eligible', async () => {
    const { passkeys } = setup();
    const authenticator = new SoftwareAuthenticator(ORIGIN, { synced: true });
    const options = (await passkeys.registrationOptions(user)) as unknown as CreationOptions;
    const passkey = await passkeys.register(user.id, authenticator.create(options), {
      name: `  My\nphone ${'x'.repeat(100)}`,
    });
    assert.equal(passkey.name.length, 64);
    assert.ok(passkey.name.startsWith('My phone x'));
    assert.equal(passkey.backupEligible, true);
    assert.equal(passkey.backedUp, true);
  });

  const wrong: [string, Tampering][] = [
    ['another origin', { origin: 'https://evil.example.com' }],
    ['another RP ID', { rpId: 'evil.example.com' }],
    ['another challenge', { challenge: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    ['no user verification', { noUserVerification: true }],
    ['the assertion type', { type: 'webauthn.get' }],
  ];
  for (const [name, tamper] of wrong) {
    test(`refused: ${name}`, async () => {
      const { passkeys } = setup();
      const options = (await passkeys.registrationOptions(user)) as unknown as CreationOptions;
      await refused(passkeys.register(user.id, new SoftwareAuthenticator(ORIGIN).create(options, tamper)));
      assert.deepEqual(await passkeys.list(user.id), []);
    });
  }

  test('refused: no pending options, replayed, expired, or another user’s challenge', async () => {
    const { passkeys, clock } = setup();
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await refused(
      passkeys.register(
        user.id,
        authenticator.create({ challenge: 'AAAA', rp: { name: 'x' }, user: { id: 'x', name: 'x' } }),
      ),
    );
    const options = (await passkeys.registrationOptions(user)) as unknown as CreationOptions;
    const response = authenticator.create(options);
    await refused(passkeys.register('someone-else', response));
    await passkeys.register(user.id, response);
    await refused(passkeys.register(user.id, response));
    const later = (await passkeys.registrationOptions(user)) as unknown as CreationOptions;
    clock.advance(5 * MINUTE + 1);
    await refused(passkeys.register(user.id, new SoftwareAuthenticator(ORIGIN).create(later)));
  });

  test('refused: garbage and wrongly shaped responses, without a crash', async () => {
    const { passkeys } = setup();
    for (const garbage of [null, 42, 'x', [], {}, { id: 1 }, { id: 'a', rawId: 'a', type: 'public-key' }]) {
      await passkeys.registrationOptions(user);
      await refused(passkeys.register(user.id, garbage));
    }
  });

  test('one credential id cannot be registered twice', async () => {
    const { passkeys } = setup();
    const authenticator = await registered(passkeys);
    const options = (await passkeys.registrationOptions({
      id: 'other',
      email: 'b@example.com',
    })) as unknown as CreationOptions;
    await refused(passkeys.register('other', authenticator.create(options)));
  });
});

describe('sign-in with a discoverable passkey', () => {
  test('names no user, requires user verification, and tells who signed in (hwk for a device-bound key)', async () => {
    const { passkeys, clock } = setup();
    const authenticator = await registered(passkeys);
    const { options } = await passkeys.authenticationOptions('sign_in');
    assert.equal(options.userVerification, 'required');
    assert.deepEqual(options.allowCredentials ?? [], []);
    clock.advance(MINUTE);
    const result = await signIn(passkeys, authenticator);
    assert.equal(result.userId, user.id);
    assert.equal(result.amr, 'hwk');
    assert.equal(result.passkey.counter, 1);
    assert.equal((await passkeys.list(user.id))[0]?.lastUsedAt, clock.now());
  });

  test('a synced passkey counts as swk; one without a counter signs in again and again', async () => {
    const { passkeys } = setup();
    const authenticator = await registered(passkeys, { synced: true, keepsCounter: false });
    assert.equal((await signIn(passkeys, authenticator)).amr, 'swk');
    assert.equal((await signIn(passkeys, authenticator)).passkey.counter, 0);
  });

  const wrong: [string, Tampering][] = [
    ['a tampered signature', { badSignature: true }],
    ['another origin', { origin: 'https://evil.example.com' }],
    ['another RP ID', { rpId: 'evil.example.com' }],
    ['another challenge', { challenge: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    ['no user verification', { noUserVerification: true }],
    ['the creation type', { type: 'webauthn.create' }],
  ];
  for (const [name, tamper] of wrong) {
    test(`refused: ${name}`, async () => {
      const { passkeys } = setup();
      const authenticator = await registered(passkeys);
      await refused(signIn(passkeys, authenticator, tamper));
      assert.equal((await passkeys.list(user.id))[0]?.lastUsedAt, null);
    });
  }

  test('a post-quantum-sized signature (ML-DSA-87, 4,627 bytes) reaches verification, not the shape check', async () => {
    // Chromium's authenticator picks ML-DSA when the server offers it (@simplewebauthn/server does on Node 24):
    // a size limit sized for ECDSA refused every such sign-in as malformed.
    const { passkeys } = setup();
    const authenticator = await registered(passkeys);
    const { options, handle } = await passkeys.authenticationOptions('sign_in');
    const response = authenticator.get(options) as { response: { signature: string } };
    response.response.signature = randomBytes(4627).toString('base64url');
    const error = await refused(passkeys.authenticate(handle, response, { purpose: 'sign_in' }));
    assert.ok(!(error.cause instanceof ZodError), `refused by the shape check: ${String(error.cause)}`);
  });

  test('refused: a replayed assertion, an unknown handle, an expired challenge', async () => {
    const { passkeys, clock } = setup();
    const authenticator = await registered(passkeys);
    const { options, handle } = await passkeys.authenticationOptions('sign_in');
    const response = authenticator.get(options);
    await passkeys.authenticate(handle, response, { purpose: 'sign_in' });
    await refused(passkeys.authenticate(handle, response, { purpose: 'sign_in' }));
    await refused(passkeys.authenticate('x'.repeat(43), response, { purpose: 'sign_in' }));
    await refused(passkeys.authenticate(null, response, { purpose: 'sign_in' }));
    const late = await passkeys.authenticationOptions('sign_in');
    clock.advance(5 * MINUTE + 1);
    await refused(
      passkeys.authenticate(late.handle, authenticator.get(late.options), {
        purpose: 'sign_in',
      }),
    );
  });

  test('counter regression: a counter that does not grow is refused, and the passkey is kept', async () => {
    const { passkeys } = setup();
    const authenticator = await registered(passkeys);
    await signIn(passkeys, authenticator, { counter: 5 });
    await refused(signIn(passkeys, authenticator, { counter: 5 }));
    await refused(signIn(passkeys, authenticator, { counter: 3 }));
    assert.equal((await passkeys.list(user.id))[0]?.counter, 5);
    await signIn(passkeys, authenticator, { counter: 6 });
  });

  test('refused: an unknown credential, a removed passkey, a user handle that is not the owner', async () => {
    const { passkeys } = setup();
    const stranger = new SoftwareAuthenticator(ORIGIN);
    await refused(signIn(passkeys, stranger));
    const authenticator = await registered(passkeys);
    authenticator.userHandle = Buffer.from('someone-else').toString('base64url');
    await refused(signIn(passkeys, authenticator));
    authenticator.userHandle = null;
    await signIn(passkeys, authenticator);
    assert.equal(await passkeys.remove('someone-else', authenticator.id), false);
    assert.equal(await passkeys.remove(user.id, authenticator.id), true);
    await refused(signIn(passkeys, authenticator));
  });
});

describe('second factor and re-authentication', () => {
  test('options list the user’s passkeys; a challenge for one purpose or user serves no other', async () => {
    const { passkeys } = setup();
    const authenticator = await registered(passkeys);
    const second = await passkeys.authenticationOptions('second_factor', user.id);
    assert.equal(second.options.userVerification, 'preferred');
    assert.deepEqual(
      (second.options.allowCredentials as { id: string }[]).map((c) => c.id),
      [authenticator.id],
    );
    const response = authenticator.get(second.options, {
      noUserVerification: true,
    });
    await refused(
      passkeys.authenticate(second.handle, response, { purpose: 'reauthenticate', userId: user.id }),
    );

    const again = await passkeys.authenticationOptions('second_factor', user.id);
    const ok = await passkeys.authenticate(
      again.handle,
      authenticator.get(again.options, { noUserVerification: true }),
      { purpose: 'second_factor', userId: user.id },
    );
    assert.equal(ok.userId, user.id);

    const reauth = await passkeys.authenticationOptions('reauthenticate', user.id);
    assert.equal(reauth.options.userVerification, 'required');
    await refused(
      passkeys.authenticate(reauth.handle, authenticator.get(reauth.options), {
        purpose: 'reauthenticate',
        userId: 'someone-else',
      }),
    );
  });

  test('another user’s passkey does not serve as this user’s factor', async () => {
    const { passkeys } = setup();
    const mine = await registered(passkeys);
    const other = { id: 'other-user', email: 'other@example.com' };
    const theirs = new SoftwareAuthenticator(ORIGIN);
    const creation = (await passkeys.registrationOptions(other)) as unknown as CreationOptions;
    await passkeys.register(other.id, theirs.create(creation));
    const { options, handle } = await passkeys.authenticationOptions('reauthenticate', user.id);
    await refused(
      passkeys.authenticate(handle, theirs.get(options), {
        purpose: 'reauthenticate',
        userId: user.id,
      }),
    );
    assert.ok(mine);
  });

  test('misuse: a sign-in that names a user, a second factor that does not', async () => {
    const { passkeys } = setup();
    await assert.rejects(passkeys.authenticationOptions('sign_in', user.id), TypeError);
    await assert.rejects(passkeys.authenticationOptions('second_factor'), TypeError);
  });
});
