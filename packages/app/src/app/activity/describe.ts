import type { SecurityEventType } from 'cloakroom/events';
import type { ActivityRecord } from './types.js';

const LABELS: Readonly<Record<SecurityEventType, string>> = {
  'sign_in.succeeded': 'Signed in',
  'sign_in.failed': 'Sign-in refused',
  'sign_in.throttled': 'Too many attempts: paused',
  'session.signed_out': 'Signed out',
  'session.revoked': 'Session signed out',
  'session.signed_out_everywhere': 'Signed out everywhere',
  'session.reauthenticated': 'Identity confirmed',
  'password.changed': 'Password changed',
  'refresh.reuse_detected': 'Stolen token suspected: app access revoked',
  'token.exchanged': 'Access passed to a service',
  'client_credentials.issued': 'Service token issued',
  'federation.signed_in': 'Signed in with a provider',
  'federation.backchannel_logout': 'Signed out by your provider',
  'csrf.rejected': 'Cross-site request refused',
  'store.unavailable': 'Service unavailable',
};

const DETAILS: Partial<Record<string, Record<string, string>>> = {
  method: {
    password: 'with your password',
    registration: 'when the account was created',
    password_reset: 'after a password reset',
    federation: 'with a provider',
    migration: 'from an earlier sign-in',
    passkey: 'with a passkey',
    totp: 'with an authenticator code',
    recovery_code: 'with a recovery code',
  },
  reason: {
    wrong_password: 'wrong password',
    no_password: 'this account has no password',
    email_unverified: 'email address not confirmed',
    account_locked: 'account locked',
    invalid_code: 'wrong code',
    invalid_passkey: 'passkey not accepted',
  },
  by: { user: 'by you', admin: 'by an administrator', provider: 'by your provider', system: 'by the site' },
  via: { change: 'from your account', reset: 'with a reset link' },
};

/** A line for people about a stored event: its label and the few details worth showing. */
export function describeActivity(record: ActivityRecord): string {
  // A type written by a newer version of the site: shown by its name.
  const label = (LABELS as Partial<Record<string, string>>)[record.type] ?? record.type;
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(record.details);
    if (typeof parsed === 'object' && parsed !== null) details = parsed as Record<string, unknown>;
  } catch {
    // A row written by a future version: the label alone.
  }
  const words: string[] = [];
  for (const [field, names] of Object.entries(DETAILS)) {
    const value = details[field];
    if (typeof value === 'string' && names !== undefined && Object.hasOwn(names, value)) {
      words.push(names[value] as string);
    }
  }
  return words.length === 0 ? label : `${label} (${words.join(', ')})`;
}
