/**
 * `npm run bench:app`: the reference site under load, beside a bare `node:http` hello world measured in the
 * same run. A load script, not a test.
 *
 * The two servers each run in their own process (bench/lib/app-server.ts, bench/lib/hello-server.ts) and
 * autocannon runs here, so the server under test never shares an event loop with the load generator. A user
 * is registered through the API (production argon2 parameters), a few notes are created, and autocannon
 * reads `GET /api/notes` with that user's session cookie. The targets are measured alternately (hello,
 * notes, hello, notes, ...) after a short unreported warm-up, and the table shows medians over the rounds.
 * Every run must have 0 errors, 0 timeouts and 0 non-2xx answers, or the script exits non-zero (a MISS of the
 * target is reported, not an error). When other processes kept the machine busy, the verdict needs the CPU
 * cross-check to agree with the req/s ratio, and is UNDECIDED when it does not.
 *
 * Beside req/s, p50 and p99 it reports CPU use per run, read from both processes and /proc/stat: the server's
 * (also as CPU µs per request, a cross-check of the ratio that other load disturbs less), autocannon's, and
 * that of other processes on the machine, so a run disturbed by other work, or one where autocannon rather
 * than the server was the limit, shows as such.
 *
 * Both servers end the answers of one event-loop turn together (the site's router always does; the hello
 * world does unless `CLOAKROOM_BENCH_WRITES=immediate`), so neither gets a cheaper write path than the other.
 *
 * Flags: `--duration N` seconds per run (10), `--rounds N` per target (3), `--quick` (3 s × 1 round),
 * `--connections N` (50), `--warmup N` seconds (2; 1 with --quick), `--json <file>` (raw results),
 * `--cpu-prof <dir>` (profile the site's process with node --cpu-prof; written when it exits).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// ---------------------------------------------------------------------------------------------------------
// autocannon ships no types; these are the parts of its documented API (README, "API" and "Results") used.

interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total: number;
  p2_5: number;
  p50: number;
  p97_5: number;
  p99: number;
}

interface AutocannonResult {
  url: string;
  requests: Histogram & { sent: number };
  latency: Histogram;
  throughput: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  resets: number;
  statusCodeStats: Record<string, { count: number }>;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  pipelining?: number;
  timeout?: number;
}

interface AutocannonInstance {
  stop(): void;
}

type Autocannon = (
  options: AutocannonOptions,
  callback: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---------------------------------------------------------------------------------------------------------
// Options

const TARGET_RATIO = 0.5;

interface Options {
  duration: number;
  rounds: number;
  warmup: number;
  connections: number;
  json: string | undefined;
  cpuProf: string | undefined;
}

function usage(): string {
  return [
    'usage: npm run bench:app -- [--duration N] [--rounds N] [--quick] [--connections N] [--warmup N]',
    '                            [--json <file>] [--cpu-prof <dir>]',
  ].join('\n');
}

function positive(value: string | undefined, name: string, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'whole ' : ''}number`);
  }
  return number;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const quick = values.quick;
  return {
    duration: positive(values.duration, 'duration', quick ? 3 : 10, true),
    rounds: positive(values.rounds, 'rounds', quick ? 1 : 3, true),
    warmup: values.warmup === '0' ? 0 : positive(values.warmup, 'warmup', quick ? 1 : 2, true),
    connections: positive(values.connections, 'connections', 50, true),
    json: values.json,
    cpuProf: values['cpu-prof'],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Child processes

interface CpuUsage {
  user: number;
  system: number;
}

interface Child {
  name: string;
  process: ChildProcess;
  url: string;
  origin: string;
  exited: Promise<void>;
  hasExited(): boolean;
}

type ChildMessage =
  { type: 'ready'; url: string; origin: string } | { type: 'cpu'; usage: CpuUsage } | { type?: undefined };

const here = fileURLToPath(new URL('.', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');
const children: Child[] = [];

/** Forks `entry` under tsx and resolves once it reports where it listens. */
function startChild(name: string, entry: string, args: string[], execArgv: string[] = []): Promise<Child> {
  const child = fork(join(here, entry), args, {
    execArgv: ['--import', tsxLoader, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  const record: Child = {
    name,
    process: child,
    url: '',
    origin: '',
    exited: new Promise<void>((resolveExit) => {
      child.once('exit', (code, signal) => {
        exited = true;
        if (!shuttingDown) {
          console.error(
            `${name} server exited unexpectedly (code ${String(code)}, signal ${String(signal)})`,
          );
        }
        resolveExit();
      });
    }),
    hasExited: () => exited,
  };
  children.push(record);
  return new Promise<Child>((resolveChild, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} server did not start within 60 s`)), 60_000);
    const onMessage = (message: ChildMessage) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      record.url = message.url;
      record.origin = message.origin;
      resolveChild(record);
    };
    child.on('message', onMessage);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} server exited before it was ready (code ${String(code)})`));
    });
  });
}

/** The child's total CPU time so far (microseconds), over IPC. */
function childCpu(child: Child): Promise<CpuUsage> {
  return new Promise<CpuUsage>((resolveCpu, reject) => {
    const timer = setTimeout(() => {
      child.process.off('message', onMessage);
      reject(new Error(`${child.name} server did not report its CPU time`));
    }, 5_000);
    const onMessage = (message: ChildMessage) => {
      if (message.type !== 'cpu') return;
      clearTimeout(timer);
      child.process.off('message', onMessage);
      resolveCpu(message.usage);
    };
    child.process.on('message', onMessage);
    child.process.send({ type: 'cpu' });
  });
}

let shuttingDown = false;

/** Asks every child to close, then SIGTERM, then SIGKILL; resolves once all have exited. */
async function stopChildren(): Promise<void> {
  shuttingDown = true;
  await Promise.all(
    children.map(async (child) => {
      if (child.hasExited()) return;
      if (child.process.connected) child.process.send({ type: 'stop' });
      else child.process.kill('SIGTERM');
      const term = setTimeout(() => child.process.kill('SIGTERM'), 5_000);
      const kill = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
      await child.exited;
      clearTimeout(term);
      clearTimeout(kill);
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Setup through the API

class BenchFailure extends Error {}

interface Target {
  name: 'hello' | 'notes';
  label: string;
  child: Child;
  url: string;
  headers: Record<string, string>;
}

async function expectStatus(response: Response, status: number, what: string): Promise<void> {
  if (response.status !== status) {
    const text = await response.text();
    throw new BenchFailure(`${what}: expected ${status}, got ${response.status}: ${text.slice(0, 300)}`);
  }
}

/** Registers a user, creates `count` notes, and returns the Cookie header that signs the user in. */
async function signInWithNotes(site: Child, count: number): Promise<{ cookie: string; titles: string[] }> {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const password = `Load ${randomBytes(12).toString('base64url')} test!`;
  const register = await fetch(`${site.url}/api/auth/register`, {
    method: 'POST',
    headers: { origin: site.origin, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  await expectStatus(register, 201, 'POST /api/auth/register');
  const cookie = register.headers
    .getSetCookie()
    .map((value) => value.split(';', 1)[0]!.trim())
    .filter((pair) => pair.includes('=') && !pair.endsWith('='))
    .join('; ');
  if (cookie === '') throw new BenchFailure('POST /api/auth/register set no session cookie');

  const titles: string[] = [];
  for (let i = 1; i <= count; i++) {
    const title = `Bench note ${i}`;
    const created = await fetch(`${site.url}/api/notes`, {
      method: 'POST',
      headers: { origin: site.origin, 'content-type': 'application/json', cookie },
      body: JSON.stringify({
        title,
        body: `Note ${i} of ${count}, created by bench/app.ts so the read returns real data. `.repeat(3),
      }),
    });
    await expectStatus(created, 201, 'POST /api/notes');
    titles.push(title);
  }
  return { cookie, titles };
}

/** One request before the load: the notes target must answer 200 with this user's notes as JSON. */
async function verifyNotes(target: Target, titles: string[]): Promise<number> {
  const response = await fetch(target.url, { headers: target.headers });
  await expectStatus(response, 200, `GET ${target.url}`);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('application/json')) throw new BenchFailure(`GET /api/notes answered ${type}`);
  const text = await response.text();
  const body = JSON.parse(text) as { notes?: { title?: unknown }[] };
  const got = (body.notes ?? []).map((note) => note.title).sort();
  if (JSON.stringify(got) !== JSON.stringify([...titles].sort())) {
    throw new BenchFailure(`GET /api/notes did not return the ${titles.length} notes: ${text.slice(0, 300)}`);
  }
  return Buffer.byteLength(text);
}

async function verifyHello(target: Target): Promise<void> {
  const response = await fetch(target.url);
  await expectStatus(response, 200, `GET ${target.url}`);
  const text = await response.text();
  if (text !== 'hello world') throw new BenchFailure(`hello world answered ${JSON.stringify(text)}`);
}

// ---------------------------------------------------------------------------------------------------------
// Load

interface Run {
  target: Target['name'];
  round: number | 'warmup';
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** CPU time per wall-clock second (1 = one full core) of the server, of autocannon, and of the rest. */
  serverCpu: number;
  /**
   * The server's CPU time per answered request, in microseconds: its cost per request, less sensitive to other
   * load on the machine than the rate is (waiting for a core costs no CPU time).
   */
  serverMicrosPerRequest: number;
  loadCpu: number;
  otherCpu: number | null;
  result: AutocannonResult;
}

let current: AutocannonInstance | null = null;

function cannon(options: AutocannonOptions): Promise<AutocannonResult> {
  return new Promise<AutocannonResult>((resolveRun, reject) => {
    current = autocannon(options, (error, result) => {
      current = null;
      if (error) reject(error);
      else resolveRun(result);
    });
  });
}

const cpuMicros = (usage: CpuUsage) => usage.user + usage.system;

/**
 * The whole machine's busy CPU time so far in microseconds, from /proc/stat (Linux; null elsewhere), to tell
 * how much of the machine other processes took during a run.
 */
function machineBusyMicros(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    const ticks = [user, nice, system, irq, softirq, steal].reduce<number>(
      (sum, value) => sum + (value ?? 0),
      0,
    );
    return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

async function load(target: Target, options: Options, round: Run['round'], seconds: number): Promise<Run> {
  const serverBefore = await childCpu(target.child);
  const loadBefore = process.cpuUsage();
  const machineBefore = machineBusyMicros();
  const started = performance.now();
  const result = await cannon({
    url: target.url,
    connections: options.connections,
    duration: seconds,
    headers: target.headers,
  });
  const wallMicros = (performance.now() - started) * 1000;
  const machineAfter = machineBusyMicros();
  const loadCpu = cpuMicros(process.cpuUsage(loadBefore)) / wallMicros;
  const serverMicros = cpuMicros(await childCpu(target.child)) - cpuMicros(serverBefore);
  const serverCpu = serverMicros / wallMicros;
  const otherCpu =
    machineBefore === null || machineAfter === null
      ? null
      : Math.max(0, (machineAfter - machineBefore) / wallMicros - loadCpu - serverCpu);

  const problems: string[] = [];
  if (result.errors !== 0) problems.push(`${result.errors} errors`);
  if (result.timeouts !== 0) problems.push(`${result.timeouts} timeouts`);
  if (result.non2xx !== 0) problems.push(`${result.non2xx} non-2xx`);
  if (result.mismatches !== 0) problems.push(`${result.mismatches} mismatches`);
  if (result.requests.total === 0) problems.push('no requests completed');
  if (target.child.hasExited()) problems.push('the server exited');
  if (problems.length > 0) {
    throw new BenchFailure(
      `${target.label} (${round === 'warmup' ? 'warm-up' : `round ${round}`}): ${problems.join(', ')}; ` +
        `status codes ${JSON.stringify(result.statusCodeStats)}`,
    );
  }
  return {
    target: target.name,
    round,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpu,
    serverMicrosPerRequest: serverMicros / Math.max(1, result.requests.total),
    loadCpu,
    otherCpu,
    result,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Report

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const rate = (value: number) => Math.round(value).toLocaleString('en-US');
// autocannon's latency percentiles are whole milliseconds; a median of an even number of rounds may not be.
const ms = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
const percent = (value: number) => `${Math.round(value * 100)}%`;

interface Summary {
  target: Target['name'];
  label: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  serverCpu: number;
  serverMicrosPerRequest: number;
  loadCpu: number;
  otherCpu: number | null;
  rounds: number[];
}

function summarize(target: Target, runs: Run[]): Summary {
  const mine = runs.filter((run) => run.target === target.name && run.round !== 'warmup');
  return {
    target: target.name,
    label: target.label,
    requestsPerSecond: median(mine.map((run) => run.requestsPerSecond)),
    p50: median(mine.map((run) => run.p50)),
    p99: median(mine.map((run) => run.p99)),
    serverCpu: median(mine.map((run) => run.serverCpu)),
    serverMicrosPerRequest: median(mine.map((run) => run.serverMicrosPerRequest)),
    loadCpu: median(mine.map((run) => run.loadCpu)),
    otherCpu: mine.some((run) => run.otherCpu === null) ? null : median(mine.map((run) => run.otherCpu ?? 0)),
    rounds: mine.map((run) => run.requestsPerSecond),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Main

let dataRoot: string | undefined;

function removeDataRoot(): void {
  if (dataRoot !== undefined) rmSync(dataRoot, { recursive: true, force: true });
  dataRoot = undefined;
}

let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    current?.stop();
    await stopChildren();
    removeDataRoot();
  })();
  return cleaning;
}

// Last resort if something exits the process without cleaning up: never leave a server behind.
process.on('exit', () => {
  for (const child of children) if (!child.hasExited()) child.process.kill('SIGKILL');
  removeDataRoot();
});

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the load and the servers`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageBefore: loadavg().map((value) => Number(value.toFixed(2))),
  };
  console.log(
    `bench:app: ${options.connections} connections, ${options.rounds} round(s) of ${options.duration} s per ` +
      `target (${options.warmup > 0 ? `after a ${options.warmup} s warm-up each` : 'no warm-up'}), alternating; ` +
      `${machine.nproc} CPUs (${machine.cpu}), ` +
      `node ${machine.node}; load average ${machine.loadAverageBefore.join(' ')} before the run`,
  );
  console.log(
    process.env.CLOAKROOM_NEAR_CACHE === 'on'
      ? 'sessions: SQLite with the near-cache in front (CLOAKROOM_NEAR_CACHE=on)'
      : 'sessions: SQLite, read on every request (CLOAKROOM_NEAR_CACHE=on puts the near-cache in front)',
  );
  console.log(
    process.env.CLOAKROOM_BENCH_WRITES === 'immediate'
      ? 'writes: the hello world ends each answer at once (CLOAKROOM_BENCH_WRITES=immediate); the site batches its ends'
      : 'writes: both servers end the answers of one event-loop turn together (the site always does; ' +
          'CLOAKROOM_BENCH_WRITES=immediate makes the hello world end each at once)',
  );

  dataRoot = mkdtempSync(join(tmpdir(), 'cloakroom-bench-app-'));
  const profileArgs: string[] = [];
  if (options.cpuProf !== undefined) {
    const dir = resolve(options.cpuProf);
    mkdirSync(dir, { recursive: true });
    profileArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const [hello, site] = await Promise.all([
    startChild('hello', 'lib/hello-server.ts', []),
    startChild('app', 'lib/app-server.ts', [join(dataRoot, 'data')], profileArgs),
  ]);

  const NOTE_COUNT = 5;
  const { cookie, titles } = await signInWithNotes(site, NOTE_COUNT);
  const targets: Target[] = [
    { name: 'hello', label: 'node:http hello world', child: hello, url: `${hello.url}/`, headers: {} },
    {
      name: 'notes',
      label: `GET /api/notes (signed in, ${NOTE_COUNT} notes)`,
      child: site,
      url: `${site.url}/api/notes`,
      headers: { cookie, accept: 'application/json' },
    },
  ];
  await verifyHello(targets[0]!);
  const notesBytes = await verifyNotes(targets[1]!, titles);
  console.log(`signed in; GET /api/notes returns ${NOTE_COUNT} notes (${notesBytes} bytes of JSON)`);

  const runs: Run[] = [];
  const show = (target: Target, run: Run) =>
    console.log(
      `  ${String(run.round === 'warmup' ? 'warm-up' : `round ${run.round}`).padEnd(8)} ` +
        `${target.name.padEnd(5)}  ${rate(run.requestsPerSecond).padStart(7)} req/s  ` +
        `p50 ${ms(run.p50)} ms  p99 ${ms(run.p99)} ms  ` +
        `server CPU ${percent(run.serverCpu)} (${Math.round(run.serverMicrosPerRequest)} µs/req)  ` +
        `load-gen CPU ${percent(run.loadCpu)}` +
        (run.otherCpu === null ? '' : `  other processes ${percent(run.otherCpu)}`),
    );
  if (options.warmup > 0) {
    for (const target of targets) {
      const run = await load(target, options, 'warmup', options.warmup);
      runs.push(run);
      show(target, run);
    }
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      const run = await load(target, options, round, options.duration);
      runs.push(run);
      show(target, run);
    }
  }

  const [helloSummary, notesSummary] = targets.map((target) => summarize(target, runs)) as [Summary, Summary];
  const ratio = notesSummary.requestsPerSecond / helloSummary.requestsPerSecond;
  const rows = [helloSummary, notesSummary].map((summary) => [
    summary.label,
    rate(summary.requestsPerSecond),
    ms(summary.p50),
    ms(summary.p99),
    percent(summary.serverCpu),
    String(Math.round(summary.serverMicrosPerRequest)),
    percent(summary.loadCpu),
    summary.otherCpu === null ? 'n/a' : percent(summary.otherCpu),
    summary.rounds.map(rate).join(' / '),
  ]);
  console.log('');
  console.log(
    table(
      [
        'target',
        'req/s (median)',
        'p50 ms',
        'p99 ms',
        'server CPU',
        'server µs/req',
        'load-gen CPU',
        'other CPU',
        'req/s per round',
      ],
      rows,
    ),
  );
  console.log('');
  console.log(`ratio notes/hello: ${ratio.toFixed(2)} (${percent(ratio)} of the bare hello-world rate)`);
  const costRatio = helloSummary.serverMicrosPerRequest / notesSummary.serverMicrosPerRequest;
  console.log(
    `server CPU per request: notes ${Math.round(notesSummary.serverMicrosPerRequest)} µs, hello ` +
      `${Math.round(helloSummary.serverMicrosPerRequest)} µs (hello/notes ${costRatio.toFixed(2)}; a cross-check ` +
      'of the ratio that other load on the machine disturbs less)',
  );
  // On a busy machine the req/s ratio says little (the hello world loses more to other processes than the
  // site does): the verdict then needs the CPU cross-check to agree, and is UNDECIDED when it does not.
  const busiest = Math.max(...runs.map((run) => run.otherCpu ?? 0));
  const disturbed = busiest >= 0.25;
  const met = ratio >= TARGET_RATIO;
  const verdict = !disturbed || met === costRatio >= TARGET_RATIO ? (met ? 'PASS' : 'MISS') : 'UNDECIDED';
  console.log(
    `${verdict}: authenticated notes read at ${percent(ratio)} of hello world (target >= ${percent(TARGET_RATIO)})` +
      (verdict === 'UNDECIDED'
        ? `, but at ${percent(costRatio)} by CPU per request on a busy machine: rerun on a quiet one`
        : ''),
  );
  if (helloSummary.loadCpu >= 0.9) {
    console.log(
      'note: the load generator was near one full core during hello world, so the hello rate is partly ' +
        'bounded by autocannon, not only by the server.',
    );
  }
  if (disturbed) {
    console.log(
      `note: other processes used up to ${percent(busiest)} of a core during a run; on ${machine.nproc} ` +
        'CPUs that disturbs both targets, so rerun on a quiet machine before trusting the figures.',
    );
  }

  if (options.json !== undefined) {
    writeFileSync(
      options.json,
      `${JSON.stringify(
        {
          machine,
          options,
          verdict,
          ratio,
          costRatio,
          summary: { hello: helloSummary, notes: notesSummary },
          runs,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`raw results written to ${options.json}`);
  }
  if (options.cpuProf !== undefined) {
    console.log(`the site's CPU profile will be in ${resolve(options.cpuProf)} once it has exited`);
  }
}

try {
  await main();
  await cleanUp();
} catch (error) {
  // After SIGINT/SIGTERM the signal handler cleans up and exits; the stopped run's fallout is not news.
  if (interrupted) await cleanUp().then(() => process.exit(130));
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(error as Error).message}\n${usage()}`);
    await cleanUp();
    process.exit(2);
  }
  console.error(error instanceof BenchFailure ? `FAILED: ${error.message}` : error);
  await cleanUp();
  process.exit(1);
}
