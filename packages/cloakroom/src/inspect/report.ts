import { auditClaims, readTimes } from './audit-claims.js';
import { auditHeader } from './audit-header.js';
import type { DecodedToken, PartSize } from './decode.js';
import { isoDate } from './duration.js';
import type { ExtractedToken } from './extract.js';
import type { SessionCookieSize, TrafficProjection } from './size.js';
import { projectTraffic } from './size.js';
import { SKIPPED, type VerificationResult } from './verify.js';
import {
  SEVERITIES,
  type Finding,
  type JsonObject,
  type Severity,
  type TokenKind,
  type TokenSource,
} from './types.js';

/** A time claim with its ISO 8601 form (`null` when the number is not a usable date). */
export interface TimeClaim {
  value: number;
  iso: string | null;
}

/**
 * Everything `inspect` says about one input; `--json` prints exactly this object. Version 1: fields may be
 * added, none removed or changed in meaning without a new version.
 */
export interface InspectionReport {
  version: 1;
  kind: TokenKind;
  source: {
    type: TokenSource;
    cookieName: string | null;
    cookieValueBytes: number | null;
    otherTokenCookies: string[];
  };
  /** Decoded, never trusted. `null` for a Cloakroom session. */
  header: JsonObject | null;
  /** Decoded, never trusted. `null` for a JWE (encrypted) and a Cloakroom session (opaque). */
  claims: JsonObject | null;
  times: {
    iat: TimeClaim | null;
    nbf: TimeClaim | null;
    exp: TimeClaim | null;
    lifetimeSeconds: number | null;
    /** Seconds until exp (negative once expired), from the `now` of the run. */
    expiresInSeconds: number | null;
  };
  sizes: {
    parts: PartSize[];
    tokenBytes: number;
    /** What travels per request: the cookie value when the token came in a cookie (wrapping included). */
    onWireBytes: number;
    cloakroomCookieBytes: number;
    /** `onWireBytes / cloakroomCookieBytes`, two decimals. */
    ratio: number;
  };
  traffic: TrafficProjection | null;
  verification: VerificationResult;
  /** Most severe first. */
  findings: Finding[];
  highestSeverity: Severity | null;
}

export interface BuildReportOptions {
  /** Requests a month for the traffic projection. */
  requests: number;
  /** Seconds since the epoch. */
  now: number;
  cookie: SessionCookieSize;
  verification?: VerificationResult;
}

/** Browsers keep at most 4096 bytes per cookie (name and value together, RFC 6265 section 6.1). */
export const COOKIE_LIMIT_BYTES = 4096;

/** Assembles the report of a found and decoded token: audit, sizes, times and the traffic projection. Pure. */
export function buildReport(
  found: ExtractedToken,
  decoded: DecodedToken,
  options: BuildReportOptions,
): InspectionReport {
  const isSession = found.kind === 'session';
  const cookieBytes = options.cookie.signedBytes;
  const onWireBytes = found.cookieValueBytes ?? decoded.bytes;
  const findings: Finding[] = [];
  if (decoded.header !== null) findings.push(...auditHeader(decoded.header, found.kind));
  if (decoded.header !== null && decoded.claims !== null) {
    findings.push(...auditClaims(decoded.header, decoded.claims, options.now));
  }
  if (found.kind === 'jwe') {
    findings.push({
      id: 'jwe_claims_encrypted',
      severity: 'info',
      message: 'a JWE: the claims are encrypted, so only the header can be read and audited',
    });
  }
  const traffic = isSession ? null : projectTraffic(onWireBytes, cookieBytes, options.requests);
  if (isSession) {
    findings.push({
      id: 'opaque_session',
      severity: 'info',
      message: `a Cloakroom session cookie: an opaque ${decoded.bytes}-byte ticket${decoded.parts.length === 2 ? ' (unsigned)' : ''}, nothing to decode; the session and the user stay on the server`,
    });
  } else {
    findings.push(...sizeFindings(found, onWireBytes, cookieBytes, traffic));
  }
  findings.sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity));
  const times = decoded.claims === null ? null : readTimes(decoded.claims);
  return {
    version: 1,
    kind: found.kind,
    source: {
      type: found.source,
      cookieName: found.cookieName,
      cookieValueBytes: found.cookieValueBytes,
      otherTokenCookies: found.otherTokenCookies,
    },
    header: decoded.header,
    claims: decoded.claims,
    times: {
      iat: timeClaim(times?.iat ?? null),
      nbf: timeClaim(times?.nbf ?? null),
      exp: timeClaim(times?.exp ?? null),
      lifetimeSeconds: times?.lifetimeSeconds ?? null,
      expiresInSeconds: times?.exp == null ? null : times.exp - options.now,
    },
    sizes: {
      parts: decoded.parts,
      tokenBytes: decoded.bytes,
      onWireBytes,
      cloakroomCookieBytes: cookieBytes,
      ratio: Math.round((onWireBytes / cookieBytes) * 100) / 100,
    },
    traffic,
    verification: options.verification ?? SKIPPED,
    findings,
    highestSeverity: findings[0]?.severity ?? null,
  };
}

function sizeFindings(
  found: ExtractedToken,
  onWireBytes: number,
  cookieBytes: number,
  traffic: TrafficProjection | null,
): Finding[] {
  const findings: Finding[] = [];
  const wrapped = onWireBytes > Buffer.byteLength(found.token) ? ' (cookie value, wrapping included)' : '';
  findings.push({
    id: 'size_vs_cookie',
    severity: 'info',
    message: `${onWireBytes} B${wrapped}, ${(onWireBytes / cookieBytes).toFixed(1)}x a Cloakroom session cookie (${cookieBytes} B)`,
  });
  const cookieSize = onWireBytes + (found.cookieName === null ? 0 : Buffer.byteLength(found.cookieName) + 1);
  if (cookieSize > COOKIE_LIMIT_BYTES) {
    findings.push({
      id: 'size_over_cookie_limit',
      severity: 'medium',
      message: `${cookieSize} B does not fit in one cookie: browsers drop cookies over ${COOKIE_LIMIT_BYTES} B`,
    });
  }
  if (traffic !== null) {
    findings.push({
      id: 'traffic_projection',
      severity: 'info',
      message: `${formatMegabytes(Math.abs(traffic.extraMegabytes))} ${moreOrLess(traffic)} traffic a month at ${traffic.requests.toLocaleString('en-US')} requests (${Math.abs(traffic.extraBytesPerRequest)} B ${moreOrLess(traffic)} on each, client to server)`,
    });
  }
  return findings;
}

/** `more`, or `less` when the token is smaller than the cookie. */
export function moreOrLess(traffic: TrafficProjection): 'more' | 'less' {
  return traffic.extraBytesPerRequest < 0 ? 'less' : 'more';
}

/** `29.8 MB` (`0.17 MB` under 10), with a sign when negative. */
export function formatMegabytes(megabytes: number): string {
  const rounded = Math.abs(megabytes) >= 10 ? megabytes.toFixed(1) : megabytes.toFixed(2);
  return `${rounded} MB`;
}

function timeClaim(value: number | null): TimeClaim | null {
  return value === null ? null : { value, iso: isoDate(value) };
}
