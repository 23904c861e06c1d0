import { findClearClaims } from './clear-claims.js';
import { formatDuration, isoDate } from './duration.js';
import { isAccessTyp, tokenRole } from './token-role.js';
import type { Finding, JsonObject } from './types.js';

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The token's time claims, read without trust. */
export interface TokenTimes {
  iat: number | null;
  nbf: number | null;
  exp: number | null;
  /** `exp` minus `iat` (or `nbf`): how long the token was made to last; `null` when it cannot be told. */
  lifetimeSeconds: number | null;
}

/** Reads `iat`, `nbf` and `exp` as NumericDates; anything that is not a finite number counts as absent. */
export function readTimes(claims: JsonObject): TokenTimes {
  const read = (name: string): number | null => {
    const value = claims[name];
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  };
  const iat = read('iat');
  const nbf = read('nbf');
  const exp = read('exp');
  const start = iat ?? nbf;
  return { iat, nbf, exp, lifetimeSeconds: exp !== null && start !== null ? exp - start : null };
}

/**
 * Findings about a JWT's claims: expiry and lifetime, the registered claims a verifier needs (`aud`, `iss`,
 * `jti`), `typ`, and personal or authorisation data readable by anyone holding the token.
 * `now` is in seconds since the epoch.
 */
export function auditClaims(header: JsonObject, claims: JsonObject, now: number): Finding[] {
  const findings: Finding[] = [];
  const role = tokenRole(header, claims);
  findings.push(...auditTimes(readTimes(claims), role === 'id', now));
  if (!('aud' in claims)) {
    findings.push({
      id: 'aud_missing',
      severity: 'medium',
      message:
        'no aud: every service that trusts the issuer accepts the token, so one can replay it to another',
    });
  }
  if (!('iss' in claims) || claims.iss === '') {
    findings.push({
      id: 'iss_missing',
      severity: 'low',
      message: 'no iss: a verifier cannot pin the issuer, and tokens of different issuers can be mixed up',
    });
  }
  if (!('jti' in claims)) {
    findings.push({
      id: 'jti_missing',
      severity: 'low',
      message: 'no jti: one token cannot be revoked or its replay detected without revoking its key',
    });
  }
  if (role !== 'id' && !isAccessTyp(header.typ)) {
    findings.push({
      id: 'typ_not_at_jwt',
      severity: 'info',
      message: `typ is ${typeof header.typ === 'string' ? `"${header.typ}"` : 'absent'}, not "at+jwt" (RFC 9068): a verifier cannot tell this access token from an ID token signed with the same key`,
    });
  }
  const clear = findClearClaims(claims);
  if (clear.personal.length > 0) {
    findings.push({
      id: 'personal_data_in_clear',
      severity: 'medium',
      message: `personal data readable by anyone holding the token (JWTs are signed, not encrypted): ${clear.personal.join(', ')}`,
    });
  }
  if (clear.authorization.length > 0) {
    findings.push({
      id: 'authorization_data_in_clear',
      severity: 'medium',
      message: `authorisation data readable in clear and frozen until exp (a role removed on the server still works): ${clear.authorization.join(', ')}`,
    });
  }
  return findings;
}

function auditTimes(times: TokenTimes, isIdToken: boolean, now: number): Finding[] {
  const findings: Finding[] = [];
  if (times.exp === null) {
    findings.push({
      id: 'exp_missing',
      severity: 'high',
      message: 'no exp: the token never expires, so a stolen copy works until its key is retired',
    });
    return findings;
  }
  // Without iat or nbf the full lifetime is unknown; what is left of it is the best measure there is.
  const lifetime = times.lifetimeSeconds ?? times.exp - now;
  const measured = times.lifetimeSeconds === null ? 'left before exp (no iat or nbf)' : 'lifetime';
  if (lifetime > DAY) {
    findings.push({
      id: 'lifetime_very_long',
      severity: 'high',
      message: `${formatDuration(lifetime)} ${measured}, over 24 h: a stolen token stays usable that long and cannot be revoked`,
    });
  } else if (lifetime > HOUR) {
    findings.push({
      id: 'lifetime_long',
      severity: isIdToken ? 'low' : 'medium',
      message: `${formatDuration(lifetime)} ${measured}, over 1 h: access tokens should live minutes, with a refresh token for more`,
    });
  }
  if (times.exp <= now) {
    findings.push({
      id: 'expired',
      severity: 'info',
      message: `expired ${formatDuration(now - times.exp)} ago (${isoDate(times.exp) ?? 'an unreadable date'})`,
    });
  }
  if (times.nbf !== null && times.nbf > now) {
    findings.push({
      id: 'not_yet_valid',
      severity: 'info',
      message: `not valid before ${isoDate(times.nbf) ?? 'an unreadable date'} (in ${formatDuration(times.nbf - now)})`,
    });
  }
  return findings;
}
