/** The report as text for the terminal: every table, then the targets with PASS/MISS. */
import { table } from '../format.js';
import type { BenchResults } from '../results.js';
import { reportHeader } from './header.js';
import {
  bandwidthTable,
  httpTable,
  inProcessTable,
  notesOf,
  notRun,
  sizesTable,
  targetsTable,
  type ReportTable,
} from './tables.js';

function block(report: ReportTable): string {
  // The long free-text column stays in the files; skipped rows are listed under "Not run" with the reason.
  const keep = (_: string, column: number): boolean => column !== report.detailColumn;
  const rows = report.rows.map((row) => row.filter(keep));
  return `${report.title}\n\n${table(report.header.filter(keep), rows, report.leftColumns)}`;
}

export function renderTerminal(results: BenchResults): string {
  const { seed } = results.bandwidth;
  const header = reportHeader(results);
  const parts = [
    `cloakroom bench (${header.mode}) — ${header.startedAt}`,
    header.machine.join('\n'),
    block(sizesTable(results)),
    block(inProcessTable(results)),
    block(httpTable(results)),
    block(bandwidthTable(results)),
    `The seed's projection: it said ~${String(seed.claimedMegabytes)} MB a month for a ${String(seed.jwtBytes)}-byte JWT against a ${String(seed.cookieBytes)}-byte cookie; ` +
      `with the HS256 JWT measured here it is ${seed.recomputedMegabytes.toFixed(1)} MB.`,
    block(targetsTable(results)),
  ];
  const missing = notRun(results);
  if (missing.length > 0) parts.push(`Not run:\n${missing.map((line) => `  - ${line}`).join('\n')}`);
  if (notesOf(results).length > 0)
    parts.push(
      notesOf(results)
        .map((note) => `note: ${note}`)
        .join('\n'),
    );
  return `${parts.join('\n\n')}\n`;
}
