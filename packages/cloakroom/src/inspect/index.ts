/**
 * `cloakroom inspect` as functions: find a token in an input, decode it without trust (jose), verify it with
 * jose, audit it, and render the report. Everything but key loading and verification is pure.
 *
 * @example
 * ```ts
 * const found = extractToken('Cookie: theme=dark; session=eyJhbGciOi...');
 * const verification = await verifyToken(found, { source: await loadJwks('jwks.json') });
 * const report = buildReport(found, decodeToken(found), {
 *   requests: 100_000,
 *   now: Math.floor(Date.now() / 1000),
 *   cookie: await measureSessionCookie(),
 *   verification,
 * });
 * console.log(formatReport(report, { color: false }));
 * ```
 *
 * @packageDocumentation
 */
export { extractToken, MAX_INPUT_BYTES, type ExtractedToken, type ExtractOptions } from './extract.js';
export { decodeToken, type DecodedToken, type PartSize } from './decode.js';
export {
  buildReport,
  COOKIE_LIMIT_BYTES,
  type BuildReportOptions,
  type InspectionReport,
  type TimeClaim,
} from './report.js';
export { formatReport, type FormatOptions } from './format.js';
export { findClearClaims, type ClearClaims } from './clear-claims.js';
export { auditHeader } from './audit-header.js';
export { auditClaims, readTimes, type TokenTimes } from './audit-claims.js';
export {
  measureSessionCookie,
  projectTraffic,
  TRAFFIC_ASSUMPTION,
  type SessionCookieSize,
  type TrafficProjection,
} from './size.js';
export { loadJwks, loadKey, type KeySource } from './key-source.js';
export {
  verifyToken,
  defaultAlgorithms,
  type VerificationResult,
  type VerificationCode,
  type VerifyTokenOptions,
} from './verify.js';
export { tokenRole, type TokenRole } from './token-role.js';
export { InspectError, type InspectErrorCode } from './errors.js';
export {
  FINDING_IDS,
  SEVERITIES,
  isAtLeast,
  type Finding,
  type FindingId,
  type Severity,
  type TokenKind,
  type TokenSource,
} from './types.js';
