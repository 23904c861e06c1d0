/**
 * `cloakroom bench` end to end: the four scenarios in one run, then the targets, as one results object
 * (see results.ts) that the report writers render.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bandwidth, evaluateTargets } from './analysis.js';
import { httpSteps, runHttp, type HttpWrites } from './http/load.js';
import { IN_PROCESS_STEPS, runInProcess } from './in-process.js';
import { median } from './measure.js';
import type { Progress } from './progress.js';
import type { BenchResults, HttpScenario, InProcessScenario } from './results.js';
import { measureSizes } from './sizes.js';
import {
  connectRedis,
  deleteKeys,
  loadSqlite,
  openUserDatabase,
  redisDisplay,
  redisUrl,
  runPrefix,
  SEED_CLAIMS,
} from './world.js';

export const SECTIONS = ['sizes', 'in-process', 'http', 'bandwidth'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  sections: readonly Section[];
  /** In-process: timed rounds and their length. */
  rounds?: number;
  roundMs?: number;
  /** HTTP: rounds, seconds per run, warm-up seconds, connections. */
  httpRounds?: number;
  durationSeconds?: number;
  warmupSeconds?: number;
  connections?: number;
  /** How the node:http servers end their answers (see server.ts); `batched` unless told. */
  writes?: HttpWrites;
  requestsPerMonth: number;
  /** How the run was started, for the report. */
  command: string;
  progress: Progress;
}

const PACKAGES = [
  'cloakroom',
  'jose',
  'better-sqlite3',
  'ioredis',
  'autocannon',
  'express',
  'express-session',
  'fastify',
  '@fastify/session',
  '@fastify/cookie',
  'hono',
  '@hono/node-server',
  'connect-redis',
  'redis',
  'iron-session',
  'better-auth',
] as const;

/** The installed version of `name` (walking up from its entry point to its package.json), or null. */
export function packageVersion(name: string): string | null {
  try {
    let dir =
      name === 'cloakroom'
        ? dirname(fileURLToPath(import.meta.url))
        : dirname(fileURLToPath(import.meta.resolve(name)));
    for (let depth = 0; depth < 8; depth++) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (manifest.name === name && typeof manifest.version === 'string') return manifest.version;
      } catch {
        // no package.json at this level
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    return null;
  } catch {
    return null;
  }
}

function otherCores(
  inProcess: readonly InProcessScenario[],
  http: readonly HttpScenario[],
): BenchResults['machine']['otherCores'] {
  const values = [
    ...inProcess.map((scenario) => scenario.measurement?.otherCores ?? null),
    ...http.flatMap((scenario) => scenario.runs.map((run) => run.otherCpu)),
  ].filter((value): value is number => value !== null);
  if (values.length === 0) return { median: null, max: null };
  return { median: median(values), max: Math.max(...values) };
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const loadAverageBefore = loadavg();
  const { progress } = options;
  const quick = options.quick;
  const inProcessRounds = {
    rounds: options.rounds ?? (quick ? 2 : 5),
    roundMs: options.roundMs ?? (quick ? 60 : 300),
    warmupRounds: 1,
  };
  const http = {
    rounds: options.httpRounds ?? (quick ? 1 : 3),
    durationSeconds: options.durationSeconds ?? (quick ? 1 : 4),
    warmupSeconds: options.warmupSeconds ?? (quick ? 0 : 3),
    connections: options.connections ?? 50,
    writes: options.writes ?? 'batched',
  };
  const custom =
    options.rounds !== undefined ||
    options.roundMs !== undefined ||
    options.httpRounds !== undefined ||
    options.durationSeconds !== undefined ||
    options.warmupSeconds !== undefined ||
    options.connections !== undefined ||
    (options.writes ?? 'batched') !== 'batched' ||
    options.sections.length !== SECTIONS.length;
  const wants = (section: Section): boolean => options.sections.includes(section);

  const versions: Record<string, string | null> = {};
  for (const name of PACKAGES) versions[name] = packageVersion(name);
  const installed = (name: string): boolean => packageVersion(name) !== null;

  progress.addSteps(
    (wants('sizes') ? 1 : 0) +
      (wants('in-process') ? IN_PROCESS_STEPS : 0) +
      (wants('http') ? httpSteps(http.rounds, http.warmupSeconds > 0) : 0),
  );

  const redis = await connectRedis();
  let redisVersion: string | null = null;
  if (redis instanceof Error) progress.note(`Redis scenarios will be skipped: ${redis.message}`);
  else redisVersion = /^redis_version:(\S+)/m.exec(await redis.info('server'))?.[1] ?? 'unknown';

  const notes: string[] = [];
  // Both sections load the user from one SQLite file: without better-sqlite3 they cannot run at all.
  const sqlite = (await loadSqlite()) !== null;
  if (!sqlite) {
    for (const section of ['in-process', 'http'] as const) {
      if (!wants(section)) continue;
      const message = `Not run: the ${section} section needs better-sqlite3 (an optional peer of cloakroom), which is not installed.`;
      notes.push(message);
      progress.note(message);
    }
  }
  let sizeItems: BenchResults['sizes']['items'] = [];
  let inProcess: InProcessScenario[] = [];
  let httpScenarios: HttpScenario[] = [];
  const prefix = runPrefix();
  try {
    if (wants('sizes')) {
      progress.step('sizes: credentials made by each package');
      sizeItems = await measureSizes(versions);
    }
    if (wants('in-process') && sqlite) {
      const users = await openUserDatabase();
      try {
        inProcess = await runInProcess({
          users,
          redis,
          prefix,
          rounds: inProcessRounds,
          credentials: quick ? 100 : 1000,
          progress,
        });
      } finally {
        users.close();
      }
    }
    if (wants('http') && sqlite) {
      httpScenarios = await runHttp({
        options: http,
        progress,
        redisProblem: redis instanceof Error ? redis.message : null,
        installed,
        env: { REDIS_URL: redisUrl(), CLOAKROOM_BENCH_WRITES: http.writes },
      });
    }
  } finally {
    if (!(redis instanceof Error)) {
      await deleteKeys(redis, prefix).catch(() => undefined);
      redis.disconnect();
    }
  }

  const others = otherCores(inProcess, httpScenarios);
  if (others.median !== null && others.median >= 0.2) {
    notes.push(
      `The machine was shared: other processes kept a median ${(others.median * 100).toFixed(0)}% of a core busy ` +
        `(up to ${((others.max ?? 0) * 100).toFixed(0)}%) on ${String(availableParallelism())} cores while this ran, so absolute rates are low and ` +
        'noisy; the ratios compare runs made under the same conditions, and the CPU-time columns are less disturbed.',
    );
  }
  if (quick)
    notes.push('A --quick run: one short round per scenario, for CI. Its figures are indicative only.');
  const missingSections = SECTIONS.filter((section) => !wants(section));
  if (missingSections.length > 0) notes.push(`Sections not run (by request): ${missingSections.join(', ')}.`);
  const loadAverageAfter = loadavg();

  return {
    schemaVersion: 1,
    tool: 'cloakroom bench',
    startedAt,
    finishedAt: new Date().toISOString(),
    mode: quick ? 'quick' : custom ? 'custom' : 'default',
    command: options.command,
    options: {
      sections: [...options.sections],
      inProcess: inProcessRounds,
      http,
      requestsPerMonth: options.requestsPerMonth,
      redisUrl: redisDisplay(redisUrl()),
    },
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      platform: `${process.platform} ${process.arch}`,
      release: release(),
      node: process.version,
      loadAverageBefore,
      loadAverageAfter,
      otherCores: others,
      redis: redisVersion,
    },
    versions,
    sizes: { seedClaims: { ...SEED_CLAIMS }, items: sizeItems },
    inProcess: { scenarios: inProcess },
    http: { scenarios: httpScenarios },
    bandwidth: bandwidth(wants('bandwidth') ? sizeItems : [], options.requestsPerMonth),
    targets: evaluateTargets({ sizes: sizeItems, http: httpScenarios }),
    notes,
  };
}
