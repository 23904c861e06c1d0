import { hash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { storeCall } from '../../lib/store-call.js';
import type { PasskeyChallengeStore } from './types.js';

/** What an assertion is for: a sign-in with the passkey alone, the second step of one, or re-authentication. */
export type PasskeyPurpose = 'sign_in' | 'second_factor' | 'reauthenticate';

/** A challenge waiting for its response. `userId` binds it to one account (`null` for a passwordless sign-in). */
export interface ChallengeRecord {
  challenge: string;
  purpose: PasskeyPurpose | 'register';
  userId: string | null;
}

const recordSchema = z.strictObject({
  challenge: z.string(),
  purpose: z.enum(['sign_in', 'second_factor', 'reauthenticate', 'register']),
  userId: z.string().nullable(),
});

const HANDLE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const digest = (value: string) => hash('sha256', value, 'base64url');
// Registration is bound to the user: one ceremony at a time per account, the latest options win.
const registrationKey = (userId: string) => `pkr:${digest(userId)}`;
// An assertion's challenge is found by a random handle the browser holds; the store key is its hash.
const assertionKey = (handle: string) => `pka:${digest(handle)}`;

function parse(value: string | null): ChallengeRecord | null {
  if (value === null) return null;
  try {
    const parsed = recordSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Keeps the registration challenge of `userId`, replacing an older one. */
export async function saveRegistrationChallenge(
  store: PasskeyChallengeStore,
  record: ChallengeRecord & { userId: string },
  expiresAt: number,
  now: number,
): Promise<void> {
  const value = JSON.stringify(record);
  await storeCall('passkeys.challenge.put', () =>
    store.put(registrationKey(record.userId), value, expiresAt, now),
  );
}

/** Takes (once) the registration challenge of `userId`. */
export async function takeRegistrationChallenge(
  store: PasskeyChallengeStore,
  userId: string,
  now: number,
): Promise<ChallengeRecord | null> {
  const value = await storeCall('passkeys.challenge.take', () => store.take(registrationKey(userId), now));
  const record = parse(value);
  return record?.purpose === 'register' && record.userId === userId ? record : null;
}

/** Keeps an assertion challenge under a fresh random handle (256 bits) and resolves to the handle. */
export async function saveAssertionChallenge(
  store: PasskeyChallengeStore,
  record: ChallengeRecord,
  expiresAt: number,
  now: number,
): Promise<string> {
  const value = JSON.stringify(record);
  for (;;) {
    const handle = randomBytes(32).toString('base64url');
    const key = assertionKey(handle);
    if (await storeCall('passkeys.challenge.add', () => store.add(key, value, expiresAt, now))) return handle;
  }
}

/** Takes (once) the assertion challenge of `handle`: `null` when malformed, unknown, expired or used. */
export async function takeAssertionChallenge(
  store: PasskeyChallengeStore,
  handle: string | null,
  now: number,
): Promise<ChallengeRecord | null> {
  if (handle === null || !HANDLE_PATTERN.test(handle)) return null;
  const value = await storeCall('passkeys.challenge.take', () => store.take(assertionKey(handle), now));
  const record = parse(value);
  return record === null || record.purpose === 'register' ? null : record;
}
