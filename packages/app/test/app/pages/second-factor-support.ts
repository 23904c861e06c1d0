// Helpers for the page tests of the second sign-in step and the re-authentication prompt: two-factor and
// passkeys are set up through the JSON API (as the security page's script would), then the pages are
// driven by form posts; passkey assertions come from a software authenticator, posted in the `passkey`
// field as the passkey script posts them.
import assert from 'node:assert/strict';
import { generateSync } from 'otplib';
import type { ManualClock } from '../../../../cloakroom/test/helpers/clock.js';
import { SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import {
  SoftwareAuthenticator,
  type CreationOptions,
  type RequestOptions,
  type Tampering,
} from '../../../../cloakroom/test/helpers/software-authenticator.js';
import type { PageClient } from './client.js';

/** The TOTP code of `secret` at the clock's time. */
export const codeFor = (clock: ManualClock, secret: string): string =>
  generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });

/** Turns TOTP on for the signed-in client; resolves to its secret and recovery codes (clock moved a step). */
export async function enableTotp(
  client: PageClient,
  clock: ManualClock,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await client.json('/api/auth/mfa/totp/setup');
  assert.equal(setup.status, 200, setup.text);
  const { secret } = setup.body as { secret: string };
  const enable = await client.json('/api/auth/mfa/totp/enable', { code: codeFor(clock, secret) });
  assert.equal(enable.status, 200, enable.text);
  clock.advance(30 * SECOND);
  return { secret, recoveryCodes: (enable.body as { recoveryCodes: string[] }).recoveryCodes };
}

/** Adds a passkey to the signed-in client's account (a recent sign-in needed); resolves to its authenticator. */
export async function addPasskey(client: PageClient): Promise<SoftwareAuthenticator> {
  const authenticator = new SoftwareAuthenticator(client.app.origin);
  const options = await client.json('/api/auth/passkeys/register/options');
  assert.equal(options.status, 200, options.text);
  const added = await client.json(
    '/api/auth/passkeys/register',
    authenticator.create(options.body as CreationOptions),
  );
  assert.equal(added.status, 201, added.text);
  return authenticator;
}

/**
 * What the passkey script does for a `data-passkey="form"` button: asks `optionsPath` for request options
 * (the client keeps the passkey cookie), and resolves to the assertion JSON text for the form's field.
 */
export async function passkeyField(
  client: PageClient,
  authenticator: SoftwareAuthenticator,
  optionsPath: string,
  tamper: Tampering = {},
): Promise<string> {
  const options = await client.json(optionsPath);
  assert.equal(options.status, 200, options.text);
  return JSON.stringify(authenticator.get(options.body as RequestOptions, tamper));
}
