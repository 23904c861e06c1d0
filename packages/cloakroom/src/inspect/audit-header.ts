import type { Finding, JsonObject, TokenKind } from './types.js';

// A kid is an opaque key name. Characters that only make sense in a file path, an SQL string, a shell command
// or a URL suggest the kid is aimed at a verifier that looks keys up naively (CVE-style kid injection).
const KID_PATTERNS: readonly [RegExp, string][] = [
  [/\.\.|^\/|\\|^[a-z]:/i, 'a file path'],
  [/['"`;]|--(?:\s|$)|\/\*|\bunion\b|\bselect\b|\bor\b\s+\S+\s*=/i, 'SQL'],
  [/\$\(|\||&&|[<>]/, 'a shell command'],
  [/^[a-z][a-z0-9+.-]*:\/\//i, 'a URL'],
  // eslint-disable-next-line no-control-regex
  [/[\u0000-\u001f\u007f]/, 'control characters'],
];
const MAX_KID_LENGTH = 256;

/** Findings about the protected header: the algorithm, embedded or remote keys, and the kid. */
export function auditHeader(header: JsonObject, kind: TokenKind): Finding[] {
  const findings: Finding[] = [];
  const alg = header.alg;
  if (typeof alg !== 'string' || alg.length === 0) {
    findings.push({
      id: 'alg_missing',
      severity: 'high',
      message:
        'the header has no alg: the token does not say how it is protected, and no verifier should accept it',
    });
  } else if (kind === 'jws' && alg.toLowerCase() === 'none') {
    findings.push({
      id: 'alg_none',
      severity: 'critical',
      message: `alg is "${alg}": the token is unsigned, anyone can forge one, and a verifier that accepts it accepts anything`,
    });
  } else if (kind === 'jws' && /^hs\d+$/i.test(alg)) {
    findings.push({
      id: 'alg_symmetric',
      severity: 'medium',
      message: `${alg} is a shared secret: every service that verifies the token can also mint one`,
    });
  } else if (kind === 'jwe' && alg === 'RSA1_5') {
    findings.push({
      id: 'jwe_rsa1_5',
      severity: 'medium',
      message:
        'RSA1_5 key encryption is open to padding-oracle attacks (Bleichenbacher); use RSA-OAEP-256 or ECDH-ES',
    });
  }
  if ('jwk' in header) {
    findings.push({
      id: 'header_jwk',
      severity: 'high',
      message:
        'the header embeds its own jwk: a verifier that uses it accepts a key chosen by whoever made the token',
    });
  }
  for (const name of ['jku', 'x5u'] as const) {
    if (name in header) {
      findings.push({
        id: name === 'jku' ? 'header_jku' : 'header_x5u',
        severity: 'high',
        message: `the header names a key URL (${name}): a verifier that follows it fetches a key chosen by the token (key substitution, SSRF)`,
      });
    }
  }
  if ('x5c' in header) {
    findings.push({
      id: 'header_x5c',
      severity: 'medium',
      message:
        'the header embeds a certificate chain (x5c): safe only if every verifier validates it to a pinned root',
    });
  }
  if ('kid' in header) {
    const reason = suspiciousKid(header.kid);
    if (reason !== null) {
      findings.push({
        id: 'kid_suspicious',
        severity: 'high',
        message: `the kid looks like ${reason}: a verifier that looks keys up by kid in files, SQL or a shell can be subverted`,
      });
    }
  }
  return findings;
}

function suspiciousKid(kid: unknown): string | null {
  if (typeof kid !== 'string') return 'something other than a string';
  if (kid.length > MAX_KID_LENGTH) return `an oversized value (${kid.length} characters)`;
  for (const [pattern, reason] of KID_PATTERNS) if (pattern.test(kid)) return reason;
  return null;
}
