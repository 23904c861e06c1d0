/**
 * The shape of `results.json`, the raw output of `cloakroom bench`: one zod schema, from which the types
 * and the published JSON Schema (`results.schema.json`) are both derived, so the three cannot drift apart.
 */
import { z } from 'zod';

/** One timed in-process measurement (see measure.ts): rates per round and their medians. */
export const measurementSchema = z.object({
  rounds: z.array(z.number()).describe('operations per second of each timed round'),
  median: z.number().describe('median of rounds'),
  cpuRounds: z.array(z.number()).describe('operations per second of this process CPU time, per round'),
  cpuMedian: z.number(),
  operations: z.number().int().nonnegative(),
  otherCores: z.number().nullable().describe('CPU cores other processes kept busy during the rounds'),
});

export const statusSchema = z.enum(['ran', 'skipped', 'not run', 'failed']);

export const sizeItemSchema = z.object({
  id: z.string(),
  label: z.string(),
  /** What makes it: `cloakroom`, `jwt`, `peer`. */
  family: z.enum(['cloakroom', 'jwt', 'peer', 'seed']),
  status: statusSchema,
  reason: z.string().optional(),
  /** Bytes of the cookie value (or token) alone. */
  valueBytes: z.number().int().nonnegative().optional(),
  /** Bytes this credential adds to each request's `Cookie` header (`name=value`, all cookies it needs). */
  cookieBytes: z.number().int().nonnegative().optional(),
  /** How it was made (package and version, algorithm). */
  detail: z.string(),
});

export const inProcessScenarioSchema = z.object({
  id: z.string(),
  label: z.string(),
  group: z.enum(['baseline', 'cloakroom', 'jwt', 'jwt + user', 'double signature']),
  status: statusSchema,
  reason: z.string().optional(),
  measurement: measurementSchema.optional(),
  /** Median rate divided by the baseline's median rate from the same run. */
  ratio: z.number().optional(),
  /** Microseconds per operation, from the median rate. */
  microsPerOperation: z.number().optional(),
});

export const httpRunSchema = z.object({
  round: z.number().int().nonnegative(),
  requestsPerSecond: z.number(),
  requests: z.number().int().nonnegative(),
  p50: z.number(),
  p99: z.number(),
  /** CPU time per wall second of the server process (1 = one core). */
  serverCpu: z.number(),
  serverMicrosPerRequest: z.number(),
  /** CPU time per wall second of the load generator (this process). */
  loadCpu: z.number(),
  /** Cores other processes on the machine kept busy during the run; null where /proc/stat is missing. */
  otherCpu: z.number().nullable(),
  errors: z.number().int().nonnegative(),
  timeouts: z.number().int().nonnegative(),
  non2xx: z.number().int().nonnegative(),
  /** The baseline rate this run is compared with (mean of the baseline runs around it), when not the baseline. */
  baselineRequestsPerSecond: z.number().optional(),
});

export const httpScenarioSchema = z.object({
  id: z.string(),
  label: z.string(),
  stack: z.enum(['node:http', 'express', 'fastify', 'hono']),
  status: statusSchema,
  reason: z.string().optional(),
  /** Bytes of the Cookie header the load generator sends. */
  cookieBytes: z.number().int().nonnegative().optional(),
  /** Bytes of the response body (the user's data as JSON). */
  bodyBytes: z.number().int().nonnegative().optional(),
  runs: z.array(httpRunSchema),
  medianRequestsPerSecond: z.number().optional(),
  /** Median over the rounds of (this run's rate / the baseline rate around it). */
  ratio: z.number().optional(),
  medianServerMicrosPerRequest: z.number().optional(),
  /**
   * The baseline server's CPU time per request over this one's (medians): the ratio by cost rather than by
   * rate, which other processes taking turns on the CPU disturb less.
   */
  cpuRatio: z.number().optional(),
  medianP99: z.number().optional(),
  /** Calibration servers only: the ratio to bare the issue measured for the same server (wrk, 50 connections). */
  issueRatio: z.number().optional(),
});

export const bandwidthRowSchema = z.object({
  id: z.string(),
  label: z.string(),
  cookieBytes: z.number().int().nonnegative(),
  /** Bytes more than the Cloakroom signed cookie, per request. */
  extraBytesPerRequest: z.number().int(),
  /** Bytes per month at `requestsPerMonth`. */
  bytesPerMonth: z.number(),
  extraBytesPerMonth: z.number(),
});

export const targetSchema = z.object({
  id: z.string(),
  description: z.string(),
  comparison: z.enum(['>=', '<=']),
  threshold: z.number(),
  unit: z.enum(['ratio', 'times', 'bytes']),
  measured: z.number().nullable(),
  verdict: z.enum(['PASS', 'MISS', 'NOT RUN']),
  /** What was divided by what, or why it was not run. */
  detail: z.string(),
});

export const resultsSchema = z.object({
  schemaVersion: z.literal(1),
  tool: z.literal('cloakroom bench'),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  mode: z.enum(['quick', 'default', 'custom']),
  command: z.string(),
  options: z.object({
    sections: z.array(z.enum(['sizes', 'in-process', 'http', 'bandwidth'])),
    inProcess: z.object({
      rounds: z.number().int().positive(),
      roundMs: z.number().positive(),
      warmupRounds: z.number().int().nonnegative(),
    }),
    http: z.object({
      rounds: z.number().int().positive(),
      durationSeconds: z.number().positive(),
      warmupSeconds: z.number().nonnegative(),
      connections: z.number().int().positive(),
      writes: z
        .enum(['batched', 'immediate'])
        .describe(
          'how the node:http servers ended their answers: together per event-loop turn, or each at once',
        ),
    }),
    requestsPerMonth: z.number().int().positive(),
    redisUrl: z.string().describe('host and port only: credentials are never recorded'),
  }),
  machine: z.object({
    cpu: z.string(),
    cores: z.number().int().positive(),
    memoryGiB: z.number(),
    platform: z.string(),
    release: z.string(),
    node: z.string(),
    loadAverageBefore: z.array(z.number()),
    loadAverageAfter: z.array(z.number()),
    /** Median and maximum cores other processes kept busy over every timed measurement of the run. */
    otherCores: z.object({ median: z.number().nullable(), max: z.number().nullable() }),
    redis: z.string().nullable(),
  }),
  versions: z.record(z.string(), z.string().nullable()),
  sizes: z.object({
    seedClaims: z.record(z.string(), z.union([z.string(), z.number()])),
    items: z.array(sizeItemSchema),
  }),
  inProcess: z.object({ scenarios: z.array(inProcessScenarioSchema) }),
  http: z.object({ scenarios: z.array(httpScenarioSchema) }),
  bandwidth: z.object({
    requestsPerMonth: z.number().int().positive(),
    /** What the seed said: a 6-byte cookie, a 304-byte JWT, ~24 MB a month per 100k page views. */
    seed: z.object({
      cookieBytes: z.number(),
      jwtBytes: z.number(),
      claimedMegabytes: z.number(),
      recomputedMegabytes: z.number(),
    }),
    rows: z.array(bandwidthRowSchema),
  }),
  targets: z.array(targetSchema),
  notes: z.array(z.string()),
});

export type Measurement = z.infer<typeof measurementSchema>;
export type ScenarioStatus = z.infer<typeof statusSchema>;
export type SizeItem = z.infer<typeof sizeItemSchema>;
export type InProcessScenario = z.infer<typeof inProcessScenarioSchema>;
export type HttpRun = z.infer<typeof httpRunSchema>;
export type HttpScenario = z.infer<typeof httpScenarioSchema>;
export type BandwidthRow = z.infer<typeof bandwidthRowSchema>;
export type Target = z.infer<typeof targetSchema>;
export type BenchResults = z.infer<typeof resultsSchema>;

/** The JSON Schema (draft 2020-12) of `results.json`, written beside it as `results.schema.json`. */
export function resultsJsonSchema(): Record<string, unknown> {
  return {
    title: 'cloakroom bench results',
    ...z.toJSONSchema(resultsSchema, { target: 'draft-2020-12' }),
  };
}
