import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultProgress, plainProgress } from '../bench/progress.js';
import { renderTerminal } from '../bench/report/terminal.js';
import { writeReport } from '../bench/report/write.js';
import { resultsSchema, type BenchResults } from '../bench/results.js';
import { runBench, SECTIONS, type Section } from '../bench/run.js';

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('a positive number');
  return number;
}

function positiveInteger(value: string): number {
  const number = positiveNumber(value);
  if (!Number.isInteger(number)) throw new InvalidArgumentError('a positive whole number');
  return number;
}

function nonNegativeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError('zero or a positive number');
  return number;
}

function sections(value: string): Section[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`a comma-separated list of ${SECTIONS.join(', ')}`);
  }
  return names as Section[];
}

interface BenchFlags {
  quick: boolean;
  out: string;
  sections?: Section[];
  rounds?: number;
  roundMs?: number;
  httpRounds?: number;
  duration?: number;
  warmup?: number;
  connections?: number;
  writes: 'batched' | 'immediate';
  requests: number;
  progress: boolean;
  render?: string;
}

/** An earlier run's results.json, checked against the schema (the message names the field, never the data). */
function readResults(file: string): BenchResults {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new Error(typeof code === 'string' ? `cannot read ${file} (${code})` : `${file} is not JSON`, {
      cause: error,
    });
  }
  const parsed = resultsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${file} is not a cloakroom bench results file (${issue === undefined ? 'invalid' : `${issue.path.join('.') || 'root'}: ${issue.message}`})`,
    );
  }
  return parsed.data;
}

/** `cloakroom bench`: measures sessions against JWTs and peers on this machine and writes a report. */
export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'Measure the argument on this machine: cookie and token sizes, in-process validation, HTTP throughput\n' +
        'against a bare node:http baseline (autocannon, loopback only) and the bandwidth projection, then write\n' +
        'report.md, report.html and results.json (with its JSON Schema) to --out. Redis at 127.0.0.1:6379\n' +
        '(REDIS_URL overrides); scenarios whose package or server is missing are skipped with a notice.',
    )
    .option('--quick', 'short rounds for CI (under a minute)', false)
    .option('--out <dir>', 'folder for the report', 'bench-report')
    .option('--sections <list>', `sections to run (${SECTIONS.join(',')})`, sections)
    .addOption(new Option('--rounds <n>', 'in-process timed rounds').argParser(positiveInteger))
    .addOption(new Option('--round-ms <ms>', 'in-process round length').argParser(positiveNumber))
    .addOption(new Option('--http-rounds <n>', 'HTTP rounds').argParser(positiveInteger))
    .addOption(new Option('--duration <seconds>', 'seconds per HTTP run').argParser(positiveNumber))
    .addOption(
      new Option('--warmup <seconds>', 'warm-up seconds per HTTP server').argParser(nonNegativeNumber),
    )
    .addOption(new Option('--connections <n>', 'autocannon connections').argParser(positiveInteger))
    .addOption(
      new Option('--writes <mode>', 'how the node:http servers end their answers')
        .choices(['batched', 'immediate'])
        .default('batched'),
    )
    .option('--requests <n>', 'requests a month for the bandwidth projection', positiveInteger, 100_000)
    .option('--no-progress', 'no progress bar or lines')
    .option('--render <results.json>', 'write the report of an earlier run again, without measuring')
    .action(async (flags: BenchFlags) => {
      if (flags.render !== undefined) {
        try {
          const results = readResults(flags.render);
          const written = writeReport(results, resolve(flags.out));
          process.stdout.write(`Report written to ${written.dir} from ${flags.render}\n`);
        } catch (error) {
          process.stderr.write(
            `cloakroom bench: ${error instanceof Error ? error.message : String(error)}\n`,
          );
          process.exitCode = 2;
        }
        return;
      }
      const progress = flags.progress ? defaultProgress() : plainProgress(() => undefined);
      try {
        const results = await runBench({
          quick: flags.quick,
          sections: flags.sections ?? SECTIONS,
          rounds: flags.rounds,
          roundMs: flags.roundMs,
          httpRounds: flags.httpRounds,
          durationSeconds: flags.duration,
          warmupSeconds: flags.warmup,
          connections: flags.connections,
          writes: flags.writes,
          requestsPerMonth: flags.requests,
          command: ['cloakroom', ...process.argv.slice(2)].join(' '),
          progress,
        });
        progress.stop();
        process.stdout.write(renderTerminal(results));
        const written = writeReport(results, resolve(flags.out));
        process.stdout.write(`\nReport written to ${written.dir} (report.md, report.html, results.json)\n`);
      } catch (error) {
        progress.stop();
        // The run broke (the baseline failed, the folder is not writable...): say why, without a stack.
        process.stderr.write(`cloakroom bench: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}
