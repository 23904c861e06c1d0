/**
 * Scenario 3's load: autocannon in this process against servers in their own processes, bounded runs on
 * loopback only. Scenarios run in rounds; within a round the bare baseline runs first and again after every
 * few scenarios, and each scenario's ratio is its rate over the mean of the baseline runs on either side of
 * it, so a machine that speeds up or slows down during the run moves both sides of each ratio alike.
 */
import { readFileSync } from 'node:fs';
import { median } from '../measure.js';
import { importOptional } from '../optional.js';
import type { Progress } from '../progress.js';
import type { HttpRun, HttpScenario } from '../results.js';
import { childCpu, startServerChild, stopServerChild, type ServerChild } from './children.js';
import { BASELINE_ID, HTTP_SCENARIOS, type HttpScenarioDefinition } from './scenarios.js';

// autocannon ships no types: the parts of its documented API (README, "API" and "Results") used here.
interface Histogram {
  average: number;
  p50: number;
  p99: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (
  options: { url: string; connections: number; duration: number; headers: Record<string, string> },
  callback: (error: Error | null, result: AutocannonResult) => void,
) => unknown;

/** How the node:http servers end their answers: together per event-loop turn, or each at once. */
export type HttpWrites = 'batched' | 'immediate';

export interface HttpOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  writes: HttpWrites;
}

export interface HttpContext {
  options: HttpOptions;
  progress: Progress;
  /** Why Redis cannot be used, or null when it can. */
  redisProblem: string | null;
  /** Packages present (by name). */
  installed: (name: string) => boolean;
  /** Environment for the server processes (REDIS_URL). */
  env: Record<string, string>;
}

/** Scenarios between two baseline runs. */
const GROUP = 4;

/** The whole machine's busy CPU time so far in microseconds (/proc/stat; null elsewhere). */
function machineBusyMicros(): number | null {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '').trim().split(/\s+/).slice(1);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0);
    return (ticks * 1e6) / 100;
  } catch {
    return null;
  }
}

const cpuMicros = (usage: { user: number; system: number }): number => usage.user + usage.system;

async function loadOnce(
  autocannon: Autocannon,
  child: ServerChild,
  options: HttpOptions,
  seconds: number,
  round: number,
): Promise<HttpRun> {
  const serverBefore = await childCpu(child);
  const loadBefore = process.cpuUsage();
  const machineBefore = machineBusyMicros();
  const started = performance.now();
  const headers: Record<string, string> = child.cookie === '' ? {} : { cookie: child.cookie };
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    autocannon(
      { url: child.url, connections: options.connections, duration: seconds, headers },
      (error, value) => {
        if (error) reject(error);
        else resolve(value);
      },
    );
  });
  const wallMicros = (performance.now() - started) * 1000;
  const machineAfter = machineBusyMicros();
  const loadCpu = cpuMicros(process.cpuUsage(loadBefore)) / wallMicros;
  const serverMicros = cpuMicros(await childCpu(child)) - cpuMicros(serverBefore);
  const serverCpu = serverMicros / wallMicros;
  const otherCpu =
    machineBefore === null || machineAfter === null
      ? null
      : Math.max(0, (machineAfter - machineBefore) / wallMicros - loadCpu - serverCpu);
  const requests = result.requests.total;
  return {
    round,
    requestsPerSecond: requests / (wallMicros / 1e6),
    requests,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpu,
    serverMicrosPerRequest: requests > 0 ? serverMicros / requests : 0,
    loadCpu,
    otherCpu,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Checks once, before the load, that the server answers 200 with the bench user's data. */
async function verify(child: ServerChild): Promise<number> {
  const headers: Record<string, string> = child.cookie === '' ? {} : { cookie: child.cookie };
  const response = await fetch(child.url, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /me answered ${String(response.status)}`);
  const body = JSON.parse(text) as { user?: { email?: unknown } };
  if (body.user?.email !== 'abc123@example.com') throw new Error('GET /me did not answer the bench user');
  return Buffer.byteLength(text);
}

function problems(run: HttpRun): string | null {
  const found: string[] = [];
  if (run.errors > 0) found.push(`${String(run.errors)} errors`);
  if (run.timeouts > 0) found.push(`${String(run.timeouts)} timeouts`);
  if (run.non2xx > 0) found.push(`${String(run.non2xx)} non-2xx answers`);
  if (run.requests === 0) found.push('no request completed');
  return found.length === 0 ? null : found.join(', ');
}

function skipReason(definition: HttpScenarioDefinition, context: HttpContext): string | null {
  const missing = definition.packages.filter((name) => !context.installed(name));
  if (missing.length > 0) return `${missing.join(', ')} not installed (devDependencies of cloakroom)`;
  if (definition.redis && context.redisProblem !== null) return context.redisProblem;
  return null;
}

/** Progress steps `runHttp` takes for `rounds`. */
export function httpSteps(rounds: number, warmup: boolean): number {
  const scenarios = HTTP_SCENARIOS.length - 1;
  return 1 + (warmup ? scenarios : 0) + rounds * (scenarios + Math.ceil(scenarios / GROUP) + 1);
}

export async function runHttp(context: HttpContext): Promise<HttpScenario[]> {
  const { options, progress } = context;
  const results = new Map<string, HttpScenario>();
  for (const definition of HTTP_SCENARIOS) {
    results.set(definition.id, {
      id: definition.id,
      label: definition.label,
      stack: definition.stack,
      status: 'ran',
      runs: [],
      ...(definition.issueRatio === undefined ? {} : { issueRatio: definition.issueRatio }),
    });
  }
  const all = [...results.values()];
  const module = await importOptional<{ default: Autocannon }>('autocannon');
  if (module === null) {
    for (const scenario of all) {
      scenario.status = 'skipped';
      scenario.reason = 'autocannon is not installed (a devDependency of cloakroom)';
    }
    progress.note('skipped the HTTP scenarios: autocannon is not installed');
    return all;
  }
  const autocannon = module.default;

  // Start every server at once (they idle until their turn), each verified with one request.
  progress.step('http: starting the servers');
  const children = new Map<string, ServerChild>();
  try {
    await Promise.all(
      HTTP_SCENARIOS.map(async (definition) => {
        const scenario = results.get(definition.id);
        if (scenario === undefined) return;
        const reason = skipReason(definition, context);
        if (reason !== null) {
          scenario.status = 'skipped';
          scenario.reason = reason;
          progress.note(`skipped ${definition.label}: ${reason}`);
          return;
        }
        try {
          const child = await startServerChild(definition.id, context.env);
          children.set(definition.id, child);
          scenario.bodyBytes = await verify(child);
          scenario.cookieBytes = Buffer.byteLength(child.cookie);
        } catch (error) {
          scenario.status = 'failed';
          scenario.reason = (error as Error).message;
          progress.note(`failed ${definition.label}: ${(error as Error).message}`);
        }
      }),
    );
    const measureAll = async (): Promise<void> => {
      const baseline = children.get(BASELINE_ID);
      if (baseline === undefined) throw new Error('the bare node:http baseline did not start');
      const order = HTTP_SCENARIOS.filter((definition) => definition.id !== BASELINE_ID).map((d) => d.id);

      const run = async (id: string, round: number, seconds: number): Promise<HttpRun | null> => {
        const child = children.get(id);
        const scenario = results.get(id);
        if (child === undefined || scenario === undefined || scenario.status !== 'ran') return null;
        try {
          const measured = await loadOnce(autocannon, child, options, seconds, round);
          const problem = problems(measured) ?? (child.hasExited() ? 'the server exited' : null);
          if (problem !== null) throw new Error(problem);
          return measured;
        } catch (error) {
          scenario.status = 'failed';
          scenario.reason = `${round === 0 ? 'warm-up' : `round ${String(round)}`}: ${(error as Error).message}`;
          progress.note(`failed ${scenario.label}: ${scenario.reason}`);
          return null;
        }
      };

      // Warm-up (round 0, not reported): every server once, JIT and caches warm.
      if (options.warmupSeconds > 0) {
        await run(BASELINE_ID, 0, options.warmupSeconds);
        for (const id of order) {
          progress.step(`http: warm-up ${results.get(id)?.label ?? id}`);
          await run(id, 0, options.warmupSeconds);
        }
      }

      for (let round = 1; round <= options.rounds; round++) {
        const baselineRuns: HttpRun[] = [];
        const pending: HttpRun[] = [];
        const measureBaseline = async (): Promise<void> => {
          progress.step(`http round ${String(round)}/${String(options.rounds)}: bare node:http baseline`);
          const measured = await run(BASELINE_ID, round, options.durationSeconds);
          if (measured === null) throw new Error('the baseline failed: the ratios would be meaningless');
          const previous = baselineRuns[baselineRuns.length - 1];
          baselineRuns.push(measured);
          results.get(BASELINE_ID)?.runs.push(measured);
          // The runs since the previous baseline are compared with the mean of the two around them.
          for (const scenarioRun of pending) {
            scenarioRun.baselineRequestsPerSecond =
              previous === undefined
                ? measured.requestsPerSecond
                : (previous.requestsPerSecond + measured.requestsPerSecond) / 2;
          }
          pending.length = 0;
        };
        await measureBaseline();
        for (let start = 0; start < order.length; start += GROUP) {
          for (const id of order.slice(start, start + GROUP)) {
            progress.step(
              `http round ${String(round)}/${String(options.rounds)}: ${results.get(id)?.label ?? id}`,
            );
            const measured = await run(id, round, options.durationSeconds);
            if (measured !== null) {
              results.get(id)?.runs.push(measured);
              pending.push(measured);
            }
          }
          await measureBaseline();
        }
      }
    };
    try {
      await measureAll();
    } catch (error) {
      // Without the baseline no ratio means anything: stop the section, keep what the other sections found.
      const reason = `the HTTP section stopped: ${(error as Error).message}`;
      progress.note(reason);
      for (const scenario of all) {
        if (scenario.status !== 'ran') continue;
        scenario.status = 'failed';
        scenario.reason = reason;
      }
    }
  } finally {
    await Promise.all([...children.values()].map((child) => stopServerChild(child)));
  }

  for (const scenario of all) summarise(scenario, scenario.id === BASELINE_ID);
  const baselineCost = results.get(BASELINE_ID)?.medianServerMicrosPerRequest;
  for (const scenario of all) {
    const cost = scenario.medianServerMicrosPerRequest;
    if (baselineCost !== undefined && cost !== undefined && cost > 0) scenario.cpuRatio = baselineCost / cost;
  }
  return all;
}

function summarise(scenario: HttpScenario, isBaseline: boolean): void {
  if (scenario.status !== 'ran' || scenario.runs.length === 0) {
    if (scenario.status === 'ran') {
      scenario.status = 'not run';
      scenario.reason = 'no timed run';
    }
    return;
  }
  const runs = scenario.runs;
  scenario.medianRequestsPerSecond = median(runs.map((run) => run.requestsPerSecond));
  scenario.medianServerMicrosPerRequest = median(runs.map((run) => run.serverMicrosPerRequest));
  scenario.medianP99 = median(runs.map((run) => run.p99));
  scenario.ratio = isBaseline
    ? 1
    : median(runs.map((run) => run.requestsPerSecond / (run.baselineRequestsPerSecond ?? Number.NaN)));
}
