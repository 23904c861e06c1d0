/**
 * The report as Markdown (report.md): the run and the machine, Cloakroom beside each peer, every table, then
 * the project's own targets.
 */
import { writesSentence } from '../analysis.js';
import type { BenchResults } from '../results.js';
import { comparisonsTable, COMPARISONS_INTRO } from './comparisons.js';
import { reportHeader, versionsLine } from './header.js';
import {
  bandwidthTable,
  httpTable,
  inProcessTable,
  notesOf,
  notRun,
  PROJECT_TARGETS,
  sizesTable,
  targetsTable,
  type ReportTable,
} from './tables.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(report: ReportTable): string {
  const align = report.header.map((_, column) =>
    column < report.leftColumns || column === report.detailColumn ? ':--' : '--:',
  );
  return [
    `| ${report.header.map(cell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...report.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

function section(report: ReportTable, intro: string): string {
  return `## ${report.title}\n\n${intro}\n\n${markdownTable(report)}`;
}

export function renderMarkdown(results: BenchResults): string {
  const { seed } = results.bandwidth;
  const header = reportHeader(results);
  const missing = notRun(results);
  const parts = [
    `# ${header.title}`,
    `Run ${header.startedAt} → ${header.finishedAt} (${header.mode}): \`${header.command}\``,
    header.machine.map((line) => `- ${line}`).join('\n'),
    section(comparisonsTable(results), COMPARISONS_INTRO),
    section(sizesTable(results), 'Bytes of the credential each request carries, made by the real packages.'),
    section(
      inProcessTable(results),
      "One request's credential check in one process, awaited one at a time. The baseline reads the user from an " +
        'in-process Map; "ops per CPU s" divides by this process\'s CPU time, which other load disturbs less.',
    ),
    section(
      httpTable(results),
      `autocannon (${header.httpSettings}) against each server in its own process, on loopback. ` +
        '"server µs/req" is the server process\'s CPU time per answered request; "CPU ratio" is the baseline\'s ' +
        "CPU time per request over the scenario's, the same comparison by cost, which a busy machine disturbs less. " +
        writesSentence(results),
    ),
    section(
      bandwidthTable(results),
      `The seed said ~${String(seed.claimedMegabytes)} MB a month at 100k page views for a ${String(seed.jwtBytes)}-byte JWT against a ` +
        `${String(seed.cookieBytes)}-byte cookie (its own inputs give ${(((seed.jwtBytes - seed.cookieBytes) * 100_000) / 1e6).toFixed(1)} MB). ` +
        `Recomputed with the HS256 JWT measured here: ${seed.recomputedMegabytes.toFixed(1)} MB at ${results.bandwidth.requestsPerMonth.toLocaleString('en-US')} requests.`,
    ),
    section({ ...targetsTable(results), title: PROJECT_TARGETS.title }, PROJECT_TARGETS.intro),
  ];
  parts.push(
    `## Not run\n\n${missing.length === 0 ? 'Every scenario ran.' : missing.map((line) => `- ${line}`).join('\n')}`,
  );
  if (notesOf(results).length > 0)
    parts.push(
      `## Notes\n\n${notesOf(results)
        .map((note) => `- ${note}`)
        .join('\n')}`,
    );
  parts.push(`## Versions\n\n${versionsLine(header)}`);
  return `${parts.join('\n\n')}\n`;
}
