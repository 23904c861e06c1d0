/**
 * The report's tables as plain rows of text, shared by the terminal, Markdown and HTML writers so the
 * three always show the same figures.
 */
import { httpNoise } from '../analysis.js';
import type { BenchResults, Target } from '../results.js';

export interface ReportTable {
  title: string;
  header: string[];
  rows: string[][];
  /** Columns from the left that are text (left-aligned); the others are numbers. */
  leftColumns: number;
  /** A long free-text last column the terminal leaves out (the files keep it). */
  detailColumn?: number;
}

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio with enough digits to tell small ones apart (0.62, 0.047, 0.0031). */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 10) return value.toFixed(1);
  if (value >= 0.1) return value.toFixed(2);
  if (value >= 0.01) return value.toFixed(3);
  return value.toPrecision(2);
}

export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (Math.abs(bytes) >= 1e4) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${formatNumber(bytes)} B`;
}

/** A share of one core as a percentage ("35%"), `n/a` when it was not measured. */
export const percent = (cores: number | null | undefined): string =>
  cores === null || cores === undefined ? 'n/a' : `${(cores * 100).toFixed(0)}%`;

export function formatMeasured(target: Target): string {
  if (target.measured === null) return '—';
  if (target.unit === 'bytes') return `${formatNumber(target.measured)} B`;
  if (target.unit === 'times') return `${formatRatio(target.measured)}x`;
  return formatRatio(target.measured);
}

export function formatThreshold(target: Target): string {
  const value =
    target.unit === 'bytes'
      ? `${formatNumber(target.threshold)} B`
      : target.unit === 'times'
        ? `${formatRatio(target.threshold)}x`
        : formatRatio(target.threshold);
  return `${target.comparison} ${value}`;
}

/**
 * How the report files name and introduce the targets. They are the project's own goals, kept for its
 * release work (docs/benchmarks.md says what they are and why), so the files show them after the
 * comparisons a reader came for.
 */
export const PROJECT_TARGETS = {
  title: "Targets: the project's own goals",
  intro:
    'The goals Cloakroom set itself (what they are and why: docs/benchmarks.md), checked on this run. ' +
    'Misses are shown, never hidden. "x" compares two ratios to bare, as above.',
} as const;

export function targetsTable(results: BenchResults): ReportTable {
  return {
    title: 'Targets',
    header: ['target', 'goal', 'measured', 'verdict', 'how'],
    detailColumn: 4,
    rows: results.targets.map((target) => [
      target.description,
      formatThreshold(target),
      formatMeasured(target),
      target.verdict,
      target.detail,
    ]),
    leftColumns: 1,
  };
}

export function sizesTable(results: BenchResults): ReportTable {
  const signed = results.sizes.items.find((item) => item.id === 'cloakroom-signed')?.valueBytes;
  return {
    title: 'Sizes',
    header: ['credential', 'value bytes', 'Cookie bytes', 'x Cloakroom', 'made with'],
    detailColumn: 4,
    rows: results.sizes.items.map((item) =>
      item.status !== 'ran'
        ? [item.label, '—', '—', '—', `${item.status}: ${item.reason ?? ''}`]
        : [
            item.label,
            formatNumber(item.valueBytes ?? 0),
            item.cookieBytes === undefined ? '—' : formatNumber(item.cookieBytes),
            signed === undefined || item.valueBytes === undefined
              ? '—'
              : `${formatRatio(item.valueBytes / signed)}x`,
            item.detail,
          ],
    ),
    leftColumns: 1,
  };
}

export function inProcessTable(results: BenchResults): ReportTable {
  return {
    title: 'In-process validation (one at a time)',
    header: [
      'scenario',
      'ops/s (median)',
      'µs/op',
      'ratio to baseline',
      'ops per CPU s',
      'other CPU',
      'status',
    ],
    rows: results.inProcess.scenarios.map((scenario) => {
      const m = scenario.measurement;
      if (m === undefined)
        return [scenario.label, '—', '—', '—', '—', '—', `${scenario.status}: ${scenario.reason ?? ''}`];
      return [
        scenario.label,
        formatNumber(m.median),
        (1e6 / m.median).toFixed(2),
        formatRatio(scenario.ratio ?? Number.NaN),
        formatNumber(m.cpuMedian),
        percent(m.otherCores),
        scenario.status,
      ];
    }),
    leftColumns: 1,
  };
}

export function httpTable(results: BenchResults): ReportTable {
  return {
    title: 'Over HTTP (autocannon, an authenticated GET of the user)',
    header: [
      'scenario',
      'req/s (median)',
      'ratio to bare',
      'server µs/req',
      'CPU ratio',
      'p99 ms',
      'Cookie bytes',
      'other CPU',
      'status',
    ],
    rows: results.http.scenarios.map((scenario) => {
      if (scenario.medianRequestsPerSecond === undefined) {
        return [
          scenario.label,
          '—',
          '—',
          '—',
          '—',
          '—',
          '—',
          '—',
          `${scenario.status}: ${scenario.reason ?? ''}`,
        ];
      }
      const others = scenario.runs
        .map((run) => run.otherCpu)
        .filter((value): value is number => value !== null);
      const other = others.length === 0 ? null : others.reduce((a, b) => a + b, 0) / others.length;
      return [
        scenario.label,
        formatNumber(scenario.medianRequestsPerSecond),
        formatRatio(scenario.ratio ?? Number.NaN),
        formatNumber(scenario.medianServerMicrosPerRequest ?? 0),
        formatRatio(scenario.cpuRatio ?? Number.NaN),
        formatNumber(scenario.medianP99 ?? 0),
        formatNumber(scenario.cookieBytes ?? 0),
        percent(other),
        scenario.status,
      ];
    }),
    leftColumns: 1,
  };
}

export function bandwidthTable(results: BenchResults): ReportTable {
  const { requestsPerMonth } = results.bandwidth;
  return {
    title: `Bandwidth at ${formatNumber(requestsPerMonth)} requests a month (Cookie header only)`,
    header: ['credential', 'Cookie bytes', 'per month', 'more than Cloakroom per month'],
    rows: results.bandwidth.rows.map((row) => [
      row.label,
      formatNumber(row.cookieBytes),
      formatBytes(row.bytesPerMonth),
      row.extraBytesPerMonth === 0 ? '—' : formatBytes(row.extraBytesPerMonth),
    ]),
    leftColumns: 1,
  };
}

/** Every scenario that was skipped, failed or not run, with why. */
export function notRun(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const item of results.sizes.items) {
    if (item.status !== 'ran') lines.push(`Sizes: ${item.label} — ${item.status}: ${item.reason ?? ''}`);
  }
  for (const scenario of results.inProcess.scenarios) {
    if (scenario.status !== 'ran')
      lines.push(`In-process: ${scenario.label} — ${scenario.status}: ${scenario.reason ?? ''}`);
  }
  for (const scenario of results.http.scenarios) {
    if (scenario.status !== 'ran')
      lines.push(`HTTP: ${scenario.label} — ${scenario.status}: ${scenario.reason ?? ''}`);
  }
  return lines;
}

/** The run's notes, then what the figures themselves say about noise (derived here, so older runs get it too). */
export function notesOf(results: BenchResults): string[] {
  return [...results.notes, ...httpNoise(results.http.scenarios)];
}
