/**
 * What the measurements say: scenario 4 (the seed's bandwidth projection recomputed from the measured
 * sizes) and the issue's targets, each PASS or MISS with the measured figure, or NOT RUN with the reason.
 */
import { BASELINE_ID } from './http/scenarios.js';
import type { BandwidthRow, BenchResults, HttpScenario, SizeItem, Target } from './results.js';

/** The seed's own figures: a 6-byte id cookie, a 304-byte JWT, "~24 MB" a month at 100k page views. */
export const SEED_FIGURES = { cookieBytes: 6, jwtBytes: 304, claimedMegabytes: 24 } as const;

export function bandwidth(items: readonly SizeItem[], requestsPerMonth: number): BenchResults['bandwidth'] {
  const cloakroom = items.find((item) => item.id === 'cloakroom-signed')?.cookieBytes ?? 0;
  const rows: BandwidthRow[] = items
    .filter((item) => item.status === 'ran' && item.cookieBytes !== undefined)
    .map((item) => {
      const bytes = item.cookieBytes ?? 0;
      return {
        id: item.id,
        label: item.label,
        cookieBytes: bytes,
        extraBytesPerRequest: bytes - cloakroom,
        bytesPerMonth: bytes * requestsPerMonth,
        extraBytesPerMonth: (bytes - cloakroom) * requestsPerMonth,
      };
    });
  const hs256 = items.find((item) => item.id === 'jwt-hs256')?.valueBytes ?? SEED_FIGURES.jwtBytes;
  return {
    requestsPerMonth,
    seed: {
      cookieBytes: SEED_FIGURES.cookieBytes,
      jwtBytes: SEED_FIGURES.jwtBytes,
      claimedMegabytes: SEED_FIGURES.claimedMegabytes,
      recomputedMegabytes: ((hs256 - SEED_FIGURES.cookieBytes) * requestsPerMonth) / 1e6,
    },
    rows,
  };
}

interface TargetInput {
  sizes: readonly SizeItem[];
  http: readonly HttpScenario[];
}

function ratioOf(http: readonly HttpScenario[], id: string): { value: number | null; why: string } {
  const scenario = http.find((candidate) => candidate.id === id);
  if (scenario === undefined) return { value: null, why: `${id} is not part of this run` };
  if (scenario.ratio === undefined || !Number.isFinite(scenario.ratio)) {
    return {
      value: null,
      why: `${scenario.label}: ${scenario.status}${scenario.reason ? ` (${scenario.reason})` : ''}`,
    };
  }
  return { value: scenario.ratio, why: '' };
}

function cpuRatioOf(http: readonly HttpScenario[], id: string): number | null {
  return http.find((candidate) => candidate.id === id)?.cpuRatio ?? null;
}

/** The same comparison by server CPU time per request, shown beside the rate-based figure. */
function byCost(value: number | null): string {
  return value === null ? '' : `; by CPU per request ${value.toFixed(2)}`;
}

function target(
  id: string,
  description: string,
  comparison: Target['comparison'],
  threshold: number,
  unit: Target['unit'],
  measured: number | null,
  detail: string,
): Target {
  const verdict =
    measured === null
      ? 'NOT RUN'
      : (comparison === '>=' ? measured >= threshold : measured <= threshold)
        ? 'PASS'
        : 'MISS';
  return { id, description, comparison, threshold, unit, measured, verdict, detail };
}

/** A ratio target on one HTTP scenario (its rate over the bare node:http rate of the same rounds). */
function ratioTarget(
  http: readonly HttpScenario[],
  id: string,
  scenario: string,
  threshold: number,
  text: string,
): Target {
  const { value, why } = ratioOf(http, scenario);
  return target(
    id,
    text,
    '>=',
    threshold,
    'ratio',
    value,
    value === null ? why : `${scenario} / bare node:http${byCost(cpuRatioOf(http, scenario))}`,
  );
}

/** `a` over `b`, both ratios to the same baseline (so the baseline cancels out). */
function relative(
  http: readonly HttpScenario[],
  id: string,
  a: string | readonly string[],
  b: string,
  threshold: number,
  unit: Target['unit'],
  text: string,
): Target {
  const candidates = (typeof a === 'string' ? [a] : a).map((name) => ({ name, ...ratioOf(http, name) }));
  const available = candidates.filter((candidate) => candidate.value !== null);
  const best = available.sort((x, y) => (y.value ?? 0) - (x.value ?? 0))[0];
  const other = ratioOf(http, b);
  if (best === undefined || other.value === null || other.value === 0) {
    const why = best === undefined ? candidates.map((c) => c.why).join('; ') : other.why;
    return target(id, text, '>=', threshold, unit, null, why);
  }
  const costA = cpuRatioOf(http, best.name);
  const costB = cpuRatioOf(http, b);
  const cost = costA === null || costB === null || costB === 0 ? null : costA / costB;
  return target(
    id,
    text,
    '>=',
    threshold,
    unit,
    (best.value ?? 0) / other.value,
    `${best.name} / ${b}${byCost(cost)}`,
  );
}

export const CLOAKROOM_HTTP = [
  'cloakroom-sqlite',
  'cloakroom-sqlite-near-cache',
  'cloakroom-redis',
  'cloakroom-near-cache',
  'express-cloakroom-redis',
  'fastify-cloakroom-redis',
  'fastify-cloakroom-near-cache',
  'hono-cloakroom-redis',
  'hono-cloakroom-near-cache',
] as const;

export function evaluateTargets({ sizes, http }: TargetInput): Target[] {
  const signed = sizes.find((item) => item.id === 'cloakroom-signed');
  const hs256 = sizes.find((item) => item.id === 'jwt-hs256');
  const signedBytes = signed?.status === 'ran' ? (signed.valueBytes ?? null) : null;
  const hs256Bytes = hs256?.status === 'ran' ? (hs256.valueBytes ?? null) : null;
  return [
    ratioTarget(
      http,
      'node-sqlite',
      'cloakroom-sqlite',
      0.6,
      'node:http: Cloakroom with SQLite, user included, >= 0.60 of bare',
    ),
    ratioTarget(
      http,
      'node-near-cache',
      'cloakroom-near-cache',
      0.7,
      'node:http: Cloakroom with Redis + near-cache >= 0.70 of bare',
    ),
    ratioTarget(
      http,
      'node-redis',
      'cloakroom-redis',
      0.45,
      'node:http: Cloakroom with Redis alone >= 0.45 of bare',
    ),
    relative(
      http,
      'site-observability',
      'site-sqlite-observed',
      'site-sqlite',
      0.95,
      'ratio',
      'The reference site with metrics and tracing on >= 0.95 of the same site with them off (GET /api/me, same run)',
    ),
    relative(
      http,
      'node-vs-jwt',
      'cloakroom-sqlite',
      'jwt-eddsa-user',
      4,
      'times',
      'node:http: Cloakroom (SQLite) >= 4x a jose EdDSA JWT session loading the user from the same database',
    ),
    relative(
      http,
      'express-vs-bare',
      'express-cloakroom-redis',
      'express-bare',
      0.85,
      'ratio',
      "Express 5: Cloakroom's Express adapter on Redis >= 0.85 of Express bare",
    ),
    relative(
      http,
      'express-vs-express-session',
      'express-cloakroom-redis',
      'express-session-redis',
      1.4,
      'times',
      "Express 5: Cloakroom's Express adapter on Redis >= 1.4x express-session + connect-redis",
    ),
    relative(
      http,
      'fastify-vs-fastify-session',
      'fastify-cloakroom-redis',
      'fastify-session-redis',
      1,
      'times',
      "Fastify 5: Cloakroom's plugin on Redis faster than @fastify/session + @fastify/cookie on the same Redis",
    ),
    relative(
      http,
      'fastify-near-cache-vs-bare',
      'fastify-cloakroom-near-cache',
      'fastify-bare',
      0.85,
      'ratio',
      "Fastify 5: Cloakroom's plugin with the near-cache within 15% of Fastify bare (>= 0.85)",
    ),
    relative(
      http,
      'hono-near-cache-vs-bare',
      'hono-cloakroom-near-cache',
      'hono-bare',
      0.85,
      'ratio',
      "Hono 4: Cloakroom's middleware with the near-cache within 15% of Hono bare (>= 0.85)",
    ),
    relative(
      http,
      'best-vs-better-auth',
      CLOAKROOM_HTTP,
      'better-auth-redis',
      8,
      'times',
      'Best against best: Cloakroom >= 8x better-auth with Redis secondary storage',
    ),
    relative(
      http,
      'best-vs-iron-session',
      CLOAKROOM_HTTP,
      'iron-session',
      10,
      'times',
      'Best against best: Cloakroom >= 10x iron-session',
    ),
    target(
      'cookie-size',
      'The default signed session cookie <= 64 bytes',
      '<=',
      64,
      'bytes',
      signedBytes,
      signedBytes === null ? 'the Cloakroom cookie was not measured' : 'Cloakroom signed cookie value',
    ),
    target(
      'cookie-vs-jwt',
      "The default signed session cookie >= 3.5x smaller than the seed's claims as an HS256 JWT",
      '>=',
      3.5,
      'times',
      signedBytes === null || hs256Bytes === null ? null : hs256Bytes / signedBytes,
      signedBytes === null || hs256Bytes === null
        ? 'a size was not measured'
        : `HS256 JWT ${String(hs256Bytes)} B / cookie ${String(signedBytes)} B`,
    ),
  ];
}

/** How the node:http servers of the run ended their answers, in one sentence for the reports. */
export function writesSentence(results: { options: { http: { writes: 'batched' | 'immediate' } } }): string {
  return results.options.http.writes === 'batched'
    ? 'Every node:http server, the bare baseline included, ends the answers of one event-loop turn together ' +
        '(as the reference site does; `--writes immediate` ends each at once).'
    : 'Every node:http server ends each answer at once (`--writes immediate`).';
}

/**
 * The calibration servers against the issue's own figures for them: how far this machine and load generator
 * move a ratio for a known amount of work.
 */
export function calibrationNotes(scenarios: readonly HttpScenario[]): string[] {
  const measured = scenarios.filter(
    (scenario) =>
      scenario.issueRatio !== undefined && scenario.status === 'ran' && scenario.ratio !== undefined,
  );
  if (measured.length === 0) return [];
  const parts = measured.map(
    (scenario) =>
      `${scenario.label}: ${(scenario.ratio ?? 0).toFixed(2)} of bare here, ${(scenario.issueRatio ?? 0).toFixed(2)} in the issue's measurement`,
  );
  return [
    `Calibration (the issue's reference servers, measured with wrk before Cloakroom): ${parts.join('; ')}.`,
  ];
}

/** Notes on HTTP ratios that cannot be taken at face value: wide spread between rounds, or above 1. */
export function httpNoise(scenarios: readonly HttpScenario[]): string[] {
  const notes: string[] = [];
  const wide: string[] = [];
  for (const scenario of scenarios) {
    const ratios = scenario.runs
      .filter((run) => run.baselineRequestsPerSecond !== undefined)
      .map((run) => run.requestsPerSecond / (run.baselineRequestsPerSecond ?? Number.NaN));
    if (ratios.length < 2) continue;
    const spread = Math.max(...ratios) / Math.min(...ratios);
    if (spread >= 1.5) wide.push(`${scenario.label} (${ratios.map((ratio) => ratio.toFixed(2)).join(', ')})`);
  }
  if (wide.length > 0) {
    notes.push(
      `HTTP ratios that moved 1.5x or more between rounds, so their median is uncertain: ${wide.join('; ')}.`,
    );
  }
  notes.push(...calibrationNotes(scenarios));
  const above = scenarios.filter((scenario) => scenario.id !== BASELINE_ID && (scenario.ratio ?? 0) > 1);
  if (above.length > 0) {
    notes.push(
      `Above 1 (faster than the bare server, which no session layer can be; noise): ${above
        .map((scenario) => `${scenario.label} ${(scenario.ratio ?? 0).toFixed(2)}`)
        .join('; ')}. Read the CPU ratio for these.`,
    );
  }
  return notes;
}
