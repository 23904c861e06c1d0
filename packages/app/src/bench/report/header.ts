/**
 * What every report says about its run before any figure: when, how it was started, on what machine, with
 * which package versions and load settings. Built once here as plain values; the terminal, Markdown and HTML
 * writers only lay it out, so the three can never describe the same run differently.
 */
import type { BenchResults } from '../results.js';
import { percent } from './tables.js';

/** The header's content, laid out by each format its own way. */
export interface ReportHeader {
  /** The report's title. */
  title: string;
  /** `default` or `quick`. */
  mode: string;
  /** ISO timestamps of the run's start and end. */
  startedAt: string;
  finishedAt: string;
  /** The command line that made the run. */
  command: string;
  /** The machine in a few lines: CPU and memory, Redis and load, what other processes used. */
  machine: string[];
  /** Every measured package with its version, `(not installed)` for a peer that was absent. */
  versions: { name: string; version: string }[];
  /** The load generator's settings, as a phrase: "50 connections, 4 s per run, 3 round(s)". */
  httpSettings: string;
}

/**
 * The header of a run's report.
 *
 * @example
 * ```ts
 * const header = reportHeader(results);
 * console.log(`${header.title}: ${header.startedAt} → ${header.finishedAt}`);
 * ```
 */
export function reportHeader(results: BenchResults): ReportHeader {
  const { http } = results.options;
  return {
    title: 'cloakroom bench report',
    mode: results.mode,
    startedAt: results.startedAt,
    finishedAt: results.finishedAt,
    command: results.command,
    machine: machineLines(results),
    versions: Object.entries(results.versions).map(([name, version]) => ({
      name,
      version: version ?? '(not installed)',
    })),
    httpSettings: `${String(http.connections)} connections, ${String(http.durationSeconds)} s per run, ${String(http.rounds)} round(s)`,
  };
}

/** The versions as one line: "jose 6.2.18, express 5.3.0, …". */
export function versionsLine(header: ReportHeader): string {
  return header.versions.map(({ name, version }) => `${name} ${version}`).join(', ');
}

function machineLines(results: BenchResults): string[] {
  const { machine } = results;
  const other =
    machine.otherCores.median === null
      ? 'other processes: not measured (no /proc/stat)'
      : `other processes kept ${percent(machine.otherCores.median)} of a core busy (median over the measurements; up to ${percent(machine.otherCores.max)})`;
  return [
    `${machine.cpu}, ${String(machine.cores)} cores, ${String(machine.memoryGiB)} GiB, ${machine.platform} ${machine.release}, Node ${machine.node}`,
    `Redis: ${machine.redis ?? 'not used'}; load average before ${machine.loadAverageBefore.map((v) => v.toFixed(2)).join(' ')}, after ${machine.loadAverageAfter.map((v) => v.toFixed(2)).join(' ')}`,
    other,
  ];
}
