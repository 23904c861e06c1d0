import { formatDuration } from './duration.js';
import { formatMegabytes, moreOrLess, type InspectionReport, type TimeClaim } from './report.js';
import type { Severity } from './types.js';

export interface FormatOptions {
  /** ANSI colours; the CLI turns them on only for a TTY without NO_COLOR. */
  color: boolean;
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const;
type Style = keyof typeof CODES;

const SEVERITY_STYLE: Record<Severity, Style> = {
  critical: 'magenta',
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
  info: 'dim',
};

const KIND_TITLE = {
  jws: 'JWT (signed, JWS)',
  jwe: 'JWE (encrypted)',
  session: 'Cloakroom session token',
} as const;

/**
 * The report as text for people: header, claims, times, sizes, traffic, verification and findings. Every
 * string that came from the token is escaped, so a crafted claim cannot drive the terminal. Pure.
 */
export function formatReport(report: InspectionReport, options: FormatOptions): string {
  const paint = (style: Style, text: string): string =>
    options.color ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text;
  const heading = (text: string): string => paint('bold', text);
  const lines: string[] = [];
  const from =
    report.source.type === 'cookie'
      ? ` in cookie ${JSON.stringify(clean(report.source.cookieName ?? ''))}`
      : report.source.type === 'authorization'
        ? ' from an Authorization header'
        : '';
  lines.push(`${heading(KIND_TITLE[report.kind])}${from} · ${report.sizes.tokenBytes} bytes`);
  if (report.source.otherTokenCookies.length > 0) {
    lines.push(
      paint(
        'dim',
        `(also holding tokens: ${report.source.otherTokenCookies.map(clean).join(', ')}; pick one with --cookie)`,
      ),
    );
  }
  const part = (index: number): number | undefined => report.sizes.parts[index]?.bytes;
  if (report.header !== null) {
    lines.push('', heading(`Header (${part(0)} B encoded)`), indent(json(report.header)));
  }
  if (report.claims !== null) {
    lines.push('', heading(`Claims (${part(1)} B encoded)`), indent(json(report.claims)));
  } else if (report.kind === 'jwe') {
    lines.push('', heading('Claims'), '  encrypted: only the holder of the decryption key can read them');
  } else {
    lines.push('', '  an opaque ticket: nothing to decode; the session and the user stay on the server');
  }
  const times = timeLines(report);
  if (times.length > 0) lines.push('', heading('Times'), ...times);
  lines.push('', heading('Size'), ...sizeLines(report));
  if (report.traffic !== null) {
    const traffic = report.traffic;
    lines.push(
      '',
      heading('Traffic'),
      `  ${formatMegabytes(Math.abs(traffic.extraMegabytes))} a month ${moreOrLess(traffic)} than a Cloakroom cookie at ${traffic.requests.toLocaleString('en-US')} requests` +
        ` (${traffic.extraBytesPerRequest} B x ${traffic.requests.toLocaleString('en-US')} = ${traffic.extraBytes.toLocaleString('en-US')} B)`,
      paint('dim', `  assumes ${traffic.assumption}`),
    );
  }
  lines.push('', heading('Verification'), `  ${verificationLine(report, paint)}`);
  lines.push('', heading(`Findings (${report.findings.length})`));
  const idWidth = Math.max(0, ...report.findings.map((finding) => finding.id.length));
  for (const finding of report.findings) {
    const label = paint(SEVERITY_STYLE[finding.severity], finding.severity.toUpperCase().padEnd(8));
    lines.push(`  ${label} ${finding.id.padEnd(idWidth)}  ${clean(finding.message)}`);
  }
  return `${lines.join('\n')}\n`;
}

function timeLines(report: InspectionReport): string[] {
  const lines: string[] = [];
  const row = (name: string, claim: TimeClaim | null): void => {
    if (claim !== null)
      lines.push(`  ${name}  ${String(claim.value).padEnd(12)} ${claim.iso ?? '(not a usable date)'}`);
  };
  row('iat', report.times.iat);
  row('nbf', report.times.nbf);
  row('exp', report.times.exp);
  if (report.times.lifetimeSeconds !== null)
    lines.push(`  lifetime  ${formatDuration(report.times.lifetimeSeconds)}`);
  const left = report.times.expiresInSeconds;
  if (left !== null) {
    lines.push(left > 0 ? `  expires in ${formatDuration(left)}` : `  expired ${formatDuration(-left)} ago`);
  }
  return lines;
}

function sizeLines(report: InspectionReport): string[] {
  const sizes = report.sizes;
  const width = Math.max(...sizes.parts.map((part) => part.name.length), 'cookie value'.length);
  const lines = sizes.parts.map(
    (part) => `  ${part.name.padEnd(width)}  ${String(part.bytes).padStart(5)} B`,
  );
  lines.push(`  ${'total'.padEnd(width)}  ${String(sizes.tokenBytes).padStart(5)} B (dots included)`);
  if (sizes.onWireBytes !== sizes.tokenBytes) {
    lines.push(
      `  ${'cookie value'.padEnd(width)}  ${String(sizes.onWireBytes).padStart(5)} B (the token and its wrapping)`,
    );
  }
  if (report.kind !== 'session') {
    lines.push(
      `  ${sizes.ratio.toFixed(1)}x a Cloakroom signed session cookie (${sizes.cloakroomCookieBytes} B)`,
    );
  }
  return lines;
}

function verificationLine(report: InspectionReport, paint: (style: Style, text: string) => string): string {
  const result = report.verification;
  const allowed =
    result.algorithms === null ? '' : ` (algorithms allowed: ${result.algorithms.join(', ') || 'none'})`;
  if (result.status === 'valid') return `${paint('green', 'valid')}${allowed}`;
  if (result.status === 'invalid') {
    return `${paint('red', 'INVALID')}: ${clean(result.reason ?? '')} [${result.code ?? ''}]${allowed}`;
  }
  if (result.status === 'unsupported') return `not verified: ${clean(result.reason ?? '')}`;
  if (report.kind === 'session') return 'checked by the server that issued it (its store), not with a key';
  return 'not verified (give --jwks <url|file> or --key <file>)';
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2).split('\n').map(clean).join('\n');
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

// JSON.stringify escapes C0 controls; C1 controls (a lone 0x9b is a CSI on some terminals), DEL and the
// line/paragraph separators are escaped here too.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` with control characters shown as `\uXXXX`. */
export function clean(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
