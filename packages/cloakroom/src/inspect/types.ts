/** How bad a finding is, from least to most severe. */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** The severities in increasing order; `--fail-on` compares positions in this list. */
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Whether `severity` is at least as severe as `threshold`. */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/** Stable identifiers of every finding `inspect` can report. Tools may branch on them. */
export const FINDING_IDS = [
  'alg_none',
  'alg_missing',
  'alg_symmetric',
  'exp_missing',
  'lifetime_long',
  'lifetime_very_long',
  'expired',
  'not_yet_valid',
  'aud_missing',
  'iss_missing',
  'jti_missing',
  'typ_not_at_jwt',
  'personal_data_in_clear',
  'authorization_data_in_clear',
  'header_jwk',
  'header_jku',
  'header_x5u',
  'header_x5c',
  'kid_suspicious',
  'size_vs_cookie',
  'size_over_cookie_limit',
  'traffic_projection',
  'jwe_claims_encrypted',
  'jwe_rsa1_5',
  'opaque_session',
] as const;

export type FindingId = (typeof FINDING_IDS)[number];

/** One audit result: a stable id, a severity and a one-line reason. */
export interface Finding {
  id: FindingId;
  severity: Severity;
  message: string;
}

/** What the input turned out to be. */
export type TokenKind = 'jws' | 'jwe' | 'session';

/** Where the token was found in the input. */
export type TokenSource = 'bare' | 'cookie' | 'authorization';

/** A JSON object as decoded from a token; nothing in it has been verified. */
export type JsonObject = Record<string, unknown>;
