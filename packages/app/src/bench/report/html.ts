/**
 * The report as one self-contained HTML page (report.html): inline CSS and inline SVG charts, no script
 * and nothing fetched, so it opens offline and from a file.
 */
import { writesSentence } from '../analysis.js';
import type { BenchResults } from '../results.js';
import { comparisonsTable, COMPARISONS_INTRO } from './comparisons.js';
import { reportHeader, versionsLine } from './header.js';
import { barChart, escapeXml, type Bar } from './svg.js';
import {
  bandwidthTable,
  formatNumber,
  formatRatio,
  httpTable,
  inProcessTable,
  notesOf,
  notRun,
  PROJECT_TARGETS,
  sizesTable,
  targetsTable,
  type ReportTable,
} from './tables.js';

export function kindOf(id: string): Bar['kind'] {
  if (id.includes('cloakroom')) return 'cloakroom';
  if (id.startsWith('jwt')) return 'jwt';
  if (id === 'baseline' || id.startsWith('bare') || id.endsWith('-bare') || id === 'seed-cookie')
    return 'baseline';
  return 'peer';
}

function alignOf(report: ReportTable, column: number): 'l' | 'r' {
  return column < report.leftColumns || column === report.detailColumn ? 'l' : 'r';
}

function htmlTable(report: ReportTable, verdictColumn = -1): string {
  const head = report.header
    .map((title, column) => `<th class="${alignOf(report, column)}">${escapeXml(title)}</th>`)
    .join('');
  const body = report.rows
    .map((row) => {
      const cells = row
        .map((text, column) => {
          const align = alignOf(report, column);
          const verdict = column === verdictColumn ? ` v-${text.replace(/\s+/g, '-').toLowerCase()}` : '';
          return `<td class="${align}${verdict}">${escapeXml(text)}</td>`;
        })
        .join('');
      return `<tr>${cells}</tr>`;
    })
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function section(report: ReportTable, intro: string, chart = '', verdictColumn = -1): string {
  return `<section><h2>${escapeXml(report.title)}</h2><p>${escapeXml(intro)}</p>${chart === '' ? '' : `<figure>${chart}</figure>`}${htmlTable(report, verdictColumn)}</section>`;
}

function httpChart(results: BenchResults): string {
  const bars: Bar[] = results.http.scenarios
    .filter((scenario) => scenario.ratio !== undefined && Number.isFinite(scenario.ratio))
    .map((scenario) => ({
      label: scenario.label,
      value: scenario.ratio ?? 0,
      kind: kindOf(scenario.id),
      text: formatRatio(scenario.ratio ?? 0),
    }));
  if (bars.length === 0) return '';
  return barChart({
    title: 'Throughput as a ratio of bare node:http (higher is better)',
    bars,
    reference: { value: 1, label: 'bare = 1' },
  });
}

function sizeChart(results: BenchResults): string {
  const bars: Bar[] = results.sizes.items
    .filter((item) => item.status === 'ran' && item.valueBytes !== undefined)
    .map((item) => ({
      label: item.label,
      value: item.valueBytes ?? 0,
      kind: kindOf(item.id),
      text: `${formatNumber(item.valueBytes ?? 0)} B`,
    }));
  if (bars.length === 0) return '';
  return barChart({ title: 'Credential size in bytes (lower is better)', bars });
}

function inProcessChart(results: BenchResults): string {
  const bars: Bar[] = results.inProcess.scenarios
    .filter((scenario) => scenario.measurement !== undefined && scenario.group !== 'baseline')
    .map((scenario) => {
      const micros = 1e6 / (scenario.measurement?.median ?? Number.NaN);
      return {
        label: scenario.label,
        value: micros,
        kind: kindOf(scenario.id),
        text: `${micros.toFixed(1)} µs`,
      };
    });
  if (bars.length === 0) return '';
  return barChart({ title: 'Microseconds per check, in process (lower is better)', bars });
}

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; color: #1d1d1d; background: #fff; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: .6rem 0; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; } th { background: #f4f4f4; }
.l { text-align: left; } .r { text-align: right; font-variant-numeric: tabular-nums; }
.v-pass { color: #1b6b2f; font-weight: 700; } .v-miss { color: #a1261a; font-weight: 700; } .v-not-run { color: #777; font-weight: 700; }
figure { margin: .8rem 0; overflow-x: auto; } .machine { color: #444; } code { background: #f4f4f4; padding: 1px 4px; }
.legend span { display: inline-block; margin-right: 1rem; } .legend i { display: inline-block; width: .9em; height: .9em; margin-right: .3em; vertical-align: -1px; }
`;

export function renderHtml(results: BenchResults): string {
  const missing = notRun(results);
  const { seed } = results.bandwidth;
  const header = reportHeader(results);
  const legend =
    '<p class="legend"><span><i style="background:#2f6f4f"></i>Cloakroom</span><span><i style="background:#b5522b"></i>JWT (jose)</span>' +
    '<span><i style="background:#5a6f9c"></i>other libraries</span><span><i style="background:#8a8a8a"></i>baselines</span></p>';
  const body = [
    `<h1>${escapeXml(header.title)}</h1>`,
    `<p>Run ${escapeXml(header.startedAt)} → ${escapeXml(header.finishedAt)} (${escapeXml(header.mode)}): <code>${escapeXml(header.command)}</code></p>`,
    `<ul class="machine">${header.machine.map((line) => `<li>${escapeXml(line)}</li>`).join('')}</ul>`,
    section(comparisonsTable(results), COMPARISONS_INTRO),
    legend,
    section(
      httpTable(results),
      `autocannon, ${header.httpSettings}; each server in its own process; ratios to the bare node:http rate measured around each run. ${writesSentence(results)}`,
      httpChart(results),
    ),
    section(sizesTable(results), 'Bytes of the credential each request carries.', sizeChart(results)),
    section(
      inProcessTable(results),
      'One check at a time in one process; the baseline reads the user from an in-process Map.',
      inProcessChart(results),
    ),
    section(
      bandwidthTable(results),
      `The seed said ~${String(seed.claimedMegabytes)} MB a month at 100k page views; recomputed with the measured HS256 JWT: ${seed.recomputedMegabytes.toFixed(1)} MB.`,
    ),
    section({ ...targetsTable(results), title: PROJECT_TARGETS.title }, PROJECT_TARGETS.intro, '', 3),
    `<section><h2>Not run</h2>${missing.length === 0 ? '<p>Every scenario ran.</p>' : `<ul>${missing.map((line) => `<li>${escapeXml(line)}</li>`).join('')}</ul>`}</section>`,
    notesOf(results).length === 0
      ? ''
      : `<section><h2>Notes</h2><ul>${notesOf(results)
          .map((note) => `<li>${escapeXml(note)}</li>`)
          .join('')}</ul></section>`,
    `<section><h2>Versions</h2><p>${escapeXml(versionsLine(header))}</p></section>`,
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeXml(header.title)} — ${escapeXml(header.startedAt)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}
