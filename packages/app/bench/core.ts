/**
 * Session core benchmark (`npm run bench:core`): validations per second for the memory and SQLite stores
 * with 10k, 100k and 1M sessions, signed and unsigned, and the cookie size, each beside baselines measured
 * in the same run (`Map.get`, one `createHmac`, one SHA-256, the two together, one awaited promise).
 *
 * A validation must compute at least one HMAC (the cookie signature; in unsigned mode there is none) and
 * one SHA-256 (of the secret), so "HMAC + SHA-256" (with latin1 digests, as validation computes them) is the
 * physical limit of the signed path.
 *
 * Options:
 *   --quick            10k and 100k sessions only, 3 short rounds: a sanity run of well under a minute
 *   --json <file>      also write the raw results (every round) as JSON
 *   --sizes <list>     comma-separated population sizes, e.g. 10000,1000000
 *   --stores <list>    memory,sqlite (default both)
 *   --rounds <n>       timed rounds per measurement (default 7)
 *   --round-ms <ms>    length of one round (default 300)
 *   --pragma <p>       a PRAGMA for the measuring SQLite connection, e.g. mmap_size=268435456 (repeatable)
 *
 * This prints numbers; it is not a test. Exit status 1 only if a validation failed or the run broke.
 */
import { createHmac, createSecretKey, hash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { selectSessionAndUser } from '../../cloakroom/src/stores/sqlite/sql.js';
import {
  collectGarbage,
  Cursor,
  measureAsync,
  measureSync,
  median,
  spread,
  type Measurement,
  type RoundOptions,
} from '../src/bench/measure.js';
import {
  createSessions,
  memoryPopulation,
  sqlitePopulation,
  SIGNING_KEY,
  type CreatedSessions,
  type Population,
} from './lib/populate.js';
import { formatCount, formatMicros, formatPercent, formatRate, table } from '../src/bench/format.js';
import { helpFromHeader } from './lib/usage.js';

helpFromHeader(import.meta.url);
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    sizes: { type: 'string' },
    stores: { type: 'string' },
    rounds: { type: 'string' },
    'round-ms': { type: 'string' },
    pragma: { type: 'string', multiple: true, default: [] },
  },
});

const quick = args.quick === true;
const sizes =
  args.sizes !== undefined
    ? parseList(args.sizes, 'sizes').map(Number)
    : quick
      ? [10_000, 100_000]
      : [10_000, 100_000, 1_000_000];
const stores = args.stores !== undefined ? parseList(args.stores, 'stores') : ['memory', 'sqlite'];
const rounds: RoundOptions = {
  rounds: args.rounds !== undefined ? Number(args.rounds) : quick ? 3 : 7,
  roundMs: args['round-ms'] !== undefined ? Number(args['round-ms']) : quick ? 150 : 300,
  warmupRounds: 1,
};
const pragmas = args.pragma;
if (sizes.some((size) => !Number.isInteger(size) || size < 1)) usage('--sizes takes positive integers');
if (stores.some((store) => store !== 'memory' && store !== 'sqlite'))
  usage('--stores takes memory and/or sqlite');
if (!Number.isInteger(rounds.rounds) || rounds.rounds < 1) usage('--rounds takes a positive integer');
if (!Number.isFinite(rounds.roundMs) || rounds.roundMs <= 0) usage('--round-ms takes a positive number');

function parseList(value: string, name: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) usage(`--${name} needs at least one value`);
  return items;
}

function usage(message: string): never {
  console.error(`bench:core: ${message}`);
  process.exit(2);
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// Anything computed in a timed loop is folded into this, so the work cannot be optimized away.
let sink = 0;

// ---------------------------------------------------------------------------------------------------------
// Baselines

// `createHmac` (digest as a Buffer, the usual spelling) is the baseline the targets name. Validation computes
// its digests as latin1 strings, which skips a backing store per digest: the "latin1" rows measure the
// HMAC and the SHA-256 exactly as validation computes them, and their sum is the physical limit.
const BASELINES = [
  'await Promise.resolve()',
  'createHmac',
  'createHmac, KeyObject key',
  'createHmac, latin1 digest',
  'SHA-256',
  'SHA-256, latin1 digest',
  'HMAC + SHA-256, latin1',
] as const;
type BaselineName = (typeof BASELINES)[number];

// Token-shaped inputs: the HMAC covers `<id>.<secret>` (39 bytes), the hash covers `<secret>` (22 bytes).
const baselineInputs = Array.from({ length: 4096 }, () => {
  const bytes = randomBytes(28);
  const secret = bytes.subarray(12).toString('base64url');
  return { payload: `${bytes.subarray(0, 12).toString('base64url')}.${secret}`, secret };
});
const keyObject = createSecretKey(SIGNING_KEY);

async function measureBaseline(name: BaselineName): Promise<Measurement> {
  const inputs = new Cursor(baselineInputs);
  switch (name) {
    case 'await Promise.resolve()':
      return measureAsync(
        async (count) => {
          for (let i = 0; i < count; i++) await Promise.resolve();
        },
        1024,
        rounds,
      );
    case 'createHmac':
      return measureSync(
        (count) => {
          for (let i = 0; i < count; i++) {
            sink ^= createHmac('sha256', SIGNING_KEY).update(inputs.next().payload).digest()[0]!;
          }
        },
        256,
        rounds,
      );
    case 'createHmac, KeyObject key':
      return measureSync(
        (count) => {
          for (let i = 0; i < count; i++) {
            sink ^= createHmac('sha256', keyObject).update(inputs.next().payload).digest()[0]!;
          }
        },
        256,
        rounds,
      );
    case 'createHmac, latin1 digest':
      return measureSync(
        (count) => {
          for (let i = 0; i < count; i++) {
            sink ^= createHmac('sha256', keyObject)
              .update(inputs.next().payload)
              .digest('binary')
              .charCodeAt(0);
          }
        },
        256,
        rounds,
      );
    case 'SHA-256':
      return measureSync(
        (count) => {
          for (let i = 0; i < count; i++) sink ^= hash('sha256', inputs.next().secret, 'buffer')[0]!;
        },
        256,
        rounds,
      );
    case 'SHA-256, latin1 digest':
      return measureSync(
        (count) => {
          for (let i = 0; i < count; i++) {
            sink ^= hash('sha256', inputs.next().secret, 'binary').charCodeAt(0);
          }
        },
        256,
        rounds,
      );
    case 'HMAC + SHA-256, latin1':
      return measureSync(
        (count) => {
          for (let i = 0; i < count; i++) {
            const input = inputs.next();
            sink ^= createHmac('sha256', keyObject).update(input.payload).digest('binary').charCodeAt(0);
            sink ^= hash('sha256', input.secret, 'binary').charCodeAt(0);
          }
        },
        256,
        rounds,
      );
  }
}

async function baselinePass(label: string): Promise<Record<BaselineName, Measurement>> {
  const results = {} as Record<BaselineName, Measurement>;
  for (const name of BASELINES) {
    progress(`baseline (${label}): ${name}`);
    results[name] = await measureBaseline(name);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------
// Validations

type Operation =
  | 'Map.get'
  | 'validate, signed'
  | 'validate, unsigned'
  | 'store.get (awaited)'
  | 'store.getNow (sync)'
  | 'SELECT by id (sync)';

interface Row {
  store: 'memory' | 'sqlite' | 'Map';
  sessions: number;
  operation: Operation;
  measurement: Measurement;
  /** Validations in the timed and warm-up rounds that did not return `valid: true` (must be 0). */
  failures: number;
}

const rows: Row[] = [];
const populationInfo: { store: string; sessions: number; buildSeconds: number; fileBytes?: number }[] = [];

function validationBatch(
  manager: Population['signed'],
  tokens: readonly string[],
  tally: { failures: number; reasons: Set<string> },
) {
  const cursor = new Cursor(tokens);
  return async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const result = await manager.validate(cursor.next());
      if (!result.valid) {
        tally.failures++;
        tally.reasons.add(result.reason);
      }
    }
  };
}

async function measureValidation(population: Population, signed: boolean): Promise<void> {
  const operation = signed ? 'validate, signed' : 'validate, unsigned';
  progress(`${population.kind} ${formatCount(population.size)}: ${operation}`);
  const tally = { failures: 0, reasons: new Set<string>() };
  const manager = signed ? population.signed : population.unsigned;
  const tokens = signed ? population.signedTokens : population.unsignedTokens;
  const measurement = await measureAsync(validationBatch(manager, tokens, tally), 256, rounds);
  rows.push({
    store: population.kind,
    sessions: population.size,
    operation,
    measurement,
    failures: tally.failures,
  });
  if (tally.failures > 0) {
    throw new Error(
      `${tally.failures} validations failed on ${population.kind} ${population.size} ${operation} ` +
        `(${[...tally.reasons].join(', ')}): the numbers would be meaningless`,
    );
  }
}

async function measureStoreGet(population: Population): Promise<void> {
  progress(`${population.kind} ${formatCount(population.size)}: store.get`);
  const ids = new Cursor(population.ids);
  let failures = 0;
  const measurement = await measureAsync(
    async (count) => {
      for (let i = 0; i < count; i++) {
        if ((await population.store.get(ids.next())) === null) failures++;
      }
    },
    256,
    rounds,
  );
  rows.push({
    store: population.kind,
    sessions: population.size,
    operation: 'store.get (awaited)',
    measurement,
    failures,
  });
  if (failures > 0)
    throw new Error(`${failures} store reads found nothing on ${population.kind} ${population.size}`);
}

/** The store's synchronous read (`immediate.getNow`), which validation uses: the read without any promise. */
function measureStoreGetNow(population: Population): void {
  const immediate = population.store.immediate;
  if (immediate === undefined) return;
  progress(`${population.kind} ${formatCount(population.size)}: store.getNow`);
  const ids = new Cursor(population.ids);
  let failures = 0;
  const measurement = measureSync(
    (count) => {
      for (let i = 0; i < count; i++) {
        const found = immediate.getNow(ids.next());
        if (found === null || found instanceof Promise) failures++;
        else sink ^= found.session.version;
      }
    },
    256,
    rounds,
  );
  rows.push({
    store: population.kind,
    sessions: population.size,
    operation: 'store.getNow (sync)',
    measurement,
    failures,
  });
  if (failures > 0)
    throw new Error(`${failures} immediate reads found nothing on ${population.kind} ${population.size}`);
}

/**
 * The store's own SELECT, run synchronously on the same connection with rows as arrays (as the store reads
 * them): what SQLite and better-sqlite3 cost, without the store's promise and record building.
 */
function measureSelect(population: Population, db: Database.Database): void {
  progress(`${population.kind} ${formatCount(population.size)}: SELECT`);
  const statement = db
    .prepare(selectSessionAndUser({ sessions: 'cloakroom_sessions', users: null }))
    .raw(true);
  const ids = new Cursor(population.ids);
  let failures = 0;
  const measurement = measureSync(
    (count) => {
      for (let i = 0; i < count; i++) {
        if (statement.get(ids.next()) === undefined) failures++;
      }
    },
    256,
    rounds,
  );
  rows.push({
    store: 'sqlite',
    sessions: population.size,
    operation: 'SELECT by id (sync)',
    measurement,
    failures,
  });
  if (failures > 0) throw new Error(`${failures} SELECTs found nothing on sqlite ${population.size}`);
}

/** `Map.get` on a Map of the same size, keyed by the same ids, looked up in the same shuffled order. */
function measureMapGet(population: Population): void {
  progress(`Map ${formatCount(population.size)}: Map.get`);
  const map = new Map<string, { id: string }>(population.ids.map((id) => [id, { id }]));
  const ids = new Cursor(population.ids);
  let failures = 0;
  const measurement = measureSync(
    (count) => {
      for (let i = 0; i < count; i++) {
        const value = map.get(ids.next());
        if (value === undefined) failures++;
        else sink ^= value.id.length;
      }
    },
    256,
    rounds,
  );
  rows.push({ store: 'Map', sessions: population.size, operation: 'Map.get', measurement, failures });
}

async function measurePopulation(population: Population): Promise<void> {
  const { kind, size } = population;
  progress(`${kind} ${formatCount(size)}: built in ${(population.buildMs / 1000).toFixed(1)} s`);
  populationInfo.push({
    store: kind,
    sessions: size,
    buildSeconds: population.buildMs / 1000,
    ...(population.fileBytes !== undefined ? { fileBytes: population.fileBytes } : {}),
  });
  try {
    collectGarbage();
    if (kind === 'memory') measureMapGet(population);
    await measureValidation(population, true);
    await measureValidation(population, false);
    await measureStoreGet(population);
    measureStoreGetNow(population);
    if (population.db !== undefined) measureSelect(population, population.db);
  } finally {
    population.close();
  }
}

/**
 * One size's populations: the memory store filled through the manager, then SQLite loaded with the same
 * records. The created records (each with its secret hash in a Buffer of its own) are dropped when this
 * returns, before anything is timed: no server holds a second copy of its sessions, and a million extra
 * objects with backing stores would weigh on every garbage collection in the rounds.
 */
async function buildPopulations(size: number): Promise<Population[]> {
  const populations: Population[] = [];
  let created: CreatedSessions | null = null;
  if (stores.includes('memory')) {
    progress(`memory ${formatCount(size)}: creating ${size.toLocaleString('en-US')} sessions`);
    const memory = await memoryPopulation(size, size);
    created = memory.created;
    populations.push(memory.population);
  }
  if (stores.includes('sqlite')) {
    if (created === null) {
      progress(`creating ${size.toLocaleString('en-US')} sessions`);
      created = await createSessions(size, null);
    }
    progress(`sqlite ${formatCount(size)}: loading ${size.toLocaleString('en-US')} sessions`);
    populations.push(await sqlitePopulation(created, size, pragmas));
  }
  return populations;
}

/** Measures one size's populations one after the other, each released once measured. */
async function measureSize(size: number): Promise<void> {
  collectGarbage();
  const populations = await buildPopulations(size);
  for (let next = populations.shift(); next !== undefined; next = populations.shift()) {
    await measurePopulation(next);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cookie size

async function cookieSizes() {
  const { MemoryStore, createSessionManager } = await import('cloakroom');
  const store = new MemoryStore();
  const signed = createSessionManager({ store, origin: 'https://example.com', keys: [SIGNING_KEY] });
  const unsigned = createSessionManager({ store, origin: 'https://example.com', signed: false });
  const a = await signed.create('user-1');
  const b = await unsigned.create('user-1');
  const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
  return {
    signedValue: bytes(a.token),
    unsignedValue: bytes(b.token),
    signedCookieHeader: bytes(`${signed.cookieName}=${a.token}`),
    signedSetCookie: bytes(a.setCookie),
    example: a.setCookie.replace(a.token, '<value>'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The run

function maxLoad(a: number | null, b: number | null): number | null {
  return a === null || b === null ? (a ?? b) : Math.max(a, b);
}

function formatLoad(cores: number | null): string {
  return cores === null ? '-' : cores.toFixed(2);
}

async function main(): Promise<void> {
  const started = performance.now();
  const sqliteVersion = (() => {
    const db = new Database(':memory:');
    try {
      return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    } finally {
      db.close();
    }
  })();
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    sqlite: sqliteVersion,
    platform: `${process.platform} ${process.arch}`,
  };
  progress(
    `${machine.cores} cores, node ${machine.node}; sizes ${sizes.map(formatCount).join(', ')}; ` +
      `${rounds.rounds} rounds x ${rounds.roundMs} ms${pragmas.length > 0 ? `; pragmas ${pragmas.join(', ')}` : ''}`,
  );

  const cookie = await cookieSizes();
  const baselinesBefore = await baselinePass('start');
  for (const size of sizes) await measureSize(size);
  collectGarbage();
  const baselinesAfter = await baselinePass('end');

  // Each baseline's result is the median over its rounds at the start and at the end of the run together,
  // so a machine that speeds up or slows down during the run moves it no more than the rows it is beside.
  const baselines = Object.fromEntries(
    BASELINES.map((name) => {
      const all = [...baselinesBefore[name].rounds, ...baselinesAfter[name].rounds];
      const cpuAll = [...baselinesBefore[name].cpuRounds, ...baselinesAfter[name].cpuRounds];
      return [
        name,
        {
          median: median(all),
          cpuMedian: median(cpuAll),
          start: baselinesBefore[name].median,
          end: baselinesAfter[name].median,
          rounds: all,
          otherCores: maxLoad(baselinesBefore[name].otherCores, baselinesAfter[name].otherCores),
        },
      ];
    }),
  ) as Record<
    BaselineName,
    {
      median: number;
      cpuMedian: number;
      start: number;
      end: number;
      rounds: number[];
      otherCores: number | null;
    }
  >;
  const hmacRate = baselines.createHmac.median;
  const limitRate = baselines['HMAC + SHA-256, latin1'].median;
  const hmacCpuRate = baselines.createHmac.cpuMedian;
  const leanHmacRate = baselines['createHmac, latin1 digest'].median;

  // ---- report
  const out: string[] = [];
  out.push('Cloakroom session core benchmark');
  out.push(
    `${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.platform}; node ${machine.node} ` +
      `(V8 ${machine.v8}, OpenSSL ${machine.openssl}); SQLite ${machine.sqlite}` +
      (pragmas.length > 0
        ? `; measuring connection PRAGMAs: ${pragmas.join(', ')}`
        : '; SQLite: store defaults (WAL)'),
  );
  out.push(
    `Each figure is the median of ${rounds.rounds} rounds of ${rounds.roundMs} ms after one warm-up round; ` +
      `validations are awaited one after another, over every session in a shuffled order.`,
  );
  out.push('');
  out.push('Baselines (median over the rounds at the start and at the end of the run)');
  out.push(
    table(
      ['baseline', 'ops/s', 'µs/op', 'CPU µs/op', 'start ops/s', 'end ops/s', 'spread', 'others'],
      BASELINES.map((name) => {
        const b = baselines[name];
        return [
          name,
          formatRate(b.median),
          formatMicros(b.median),
          formatMicros(b.cpuMedian),
          formatRate(b.start),
          formatRate(b.end),
          formatPercent(spread(b.rounds)),
          formatLoad(b.otherCores),
        ];
      }),
    ),
  );
  out.push('');
  out.push('Validation (and what it is made of)');
  out.push(
    table(
      [
        'store',
        'sessions',
        'operation',
        'ops/s',
        'µs/op',
        'CPU µs/op',
        '% createHmac',
        '% HMAC+SHA-256',
        'spread',
        'others',
      ],
      rows.map((row) => [
        row.store,
        formatCount(row.sessions),
        row.operation,
        formatRate(row.measurement.median),
        formatMicros(row.measurement.median),
        formatMicros(row.measurement.cpuMedian),
        formatPercent(row.measurement.median / hmacRate),
        formatPercent(row.measurement.median / limitRate),
        formatPercent(spread(row.measurement.rounds)),
        formatLoad(row.measurement.otherCores),
      ]),
      3,
    ),
  );
  const failures = rows
    .filter((row) => row.operation.startsWith('validate'))
    .reduce((sum, row) => sum + row.failures, 0);
  const validations = rows
    .filter((row) => row.operation.startsWith('validate'))
    .reduce((sum, row) => sum + row.measurement.operations, 0);
  out.push(`${validations.toLocaleString('en-US')} timed validations, ${failures} failed.`);
  out.push(
    "CPU µs/op: this process's CPU time (all its threads) per operation, which other processes taking turns " +
      'on the CPU barely move. spread: (max - min) / median of the rounds. others: CPU cores that other ' +
      `processes kept busy meanwhile (of ${machine.cores}); above ~0.2 the wall-clock figure was taken on a shared CPU.`,
  );
  const loads = [
    ...rows.map((row) => row.measurement.otherCores),
    ...BASELINES.map((name) => baselines[name].otherCores),
  ];
  const busiest = loads.reduce<number>((max, load) => Math.max(max, load ?? 0), 0);
  if (busiest > 0.2) {
    out.push(
      `WARNING: other processes used up to ${busiest.toFixed(2)} cores during this run; rerun on a quiet machine.`,
    );
  }
  out.push('');
  out.push('Cookie');
  out.push(
    table(
      ['what', 'bytes'],
      [
        ['signed cookie value (<id>.<secret>.<mac>)', String(cookie.signedValue)],
        ['unsigned cookie value (<id>.<secret>)', String(cookie.unsignedValue)],
        ['Cookie request header pair, signed', String(cookie.signedCookieHeader)],
        ['Set-Cookie header value, signed', String(cookie.signedSetCookie)],
      ],
    ),
  );
  out.push(`  ${cookie.example}`);
  out.push('');

  // ---- targets
  interface Target {
    target: string;
    subject: string;
    /** The measured ratio (or size), from wall-clock medians: this decides PASS or MISS. */
    value: number;
    /** The same ratio from CPU-time medians, which other processes on the machine barely move. */
    cpuValue: number;
    limit: number;
    pass: boolean;
    text: string;
  }
  const targets: Target[] = [];
  const validationRows = (store: string, operation: Operation) =>
    rows.filter((row) => row.store === store && row.operation === operation);
  for (const operation of ['validate, signed', 'validate, unsigned'] as const) {
    for (const row of validationRows('memory', operation)) {
      const value = row.measurement.median / hmacRate;
      const cpuValue = row.measurement.cpuMedian / hmacCpuRate;
      targets.push({
        target: 'memory >= 40% of createHmac',
        subject: `memory ${formatCount(row.sessions)} ${operation.slice(10)}`,
        value,
        cpuValue,
        limit: 0.4,
        pass: value >= 0.4,
        text:
          `${formatPercent(value)}  (CPU time: ${formatPercent(cpuValue)}; ` +
          `of createHmac with a latin1 digest: ${formatPercent(row.measurement.median / leanHmacRate)})`,
      });
    }
  }
  for (const operation of ['validate, signed', 'validate, unsigned'] as const) {
    for (const row of validationRows('sqlite', operation)) {
      const memory = validationRows('memory', operation).find((other) => other.sessions === row.sessions);
      if (memory === undefined) continue;
      const value = row.measurement.median / memory.measurement.median;
      const cpuValue = row.measurement.cpuMedian / memory.measurement.cpuMedian;
      targets.push({
        target: 'SQLite >= 50% of memory',
        subject: `sqlite ${formatCount(row.sessions)} ${operation.slice(10)}`,
        value,
        cpuValue,
        limit: 0.5,
        pass: value >= 0.5,
        text: `${formatPercent(value)}  (CPU time: ${formatPercent(cpuValue)})`,
      });
    }
  }
  for (const store of stores) {
    for (const operation of ['validate, signed', 'validate, unsigned'] as const) {
      const measured = validationRows(store, operation).sort((a, b) => a.sessions - b.sessions);
      const small = measured[0];
      const large = measured.at(-1);
      if (small === undefined || large === undefined || small === large) continue;
      // Time ratio: the inverse of the rate ratio.
      const value = small.measurement.median / large.measurement.median;
      const cpuValue = small.measurement.cpuMedian / large.measurement.cpuMedian;
      targets.push({
        target: `time per lookup at ${formatCount(large.sessions)} <= 1.5x at ${formatCount(small.sessions)}`,
        subject: `${store} ${operation.slice(10)}`,
        value,
        cpuValue,
        limit: 1.5,
        pass: value <= 1.5,
        text:
          `${value.toFixed(2)}x (${formatMicros(large.measurement.median)} vs ` +
          `${formatMicros(small.measurement.median)} µs)  (CPU time: ${cpuValue.toFixed(2)}x)`,
      });
    }
  }
  targets.push({
    target: 'signed cookie value <= 64 bytes',
    subject: 'signed token',
    value: cookie.signedValue,
    cpuValue: cookie.signedValue,
    limit: 64,
    pass: cookie.signedValue <= 64,
    text: `${cookie.signedValue} bytes`,
  });
  out.push('Targets');
  for (const target of targets) {
    out.push(
      `${target.pass ? 'PASS' : 'MISS'}  ${target.target.padEnd(36)}  ${target.subject.padEnd(20)}  ${target.text}`,
    );
  }
  if (quick)
    out.push('(--quick: 1M sessions not measured; the scaling target compares the sizes that were.)');
  const seconds = (performance.now() - started) / 1000;
  out.push('');
  out.push(
    `Run took ${seconds.toFixed(0)} s. Populations (build time${stores.includes('sqlite') ? ', SQLite file size' : ''}): ` +
      populationInfo
        .map(
          (p) =>
            `${p.store} ${formatCount(p.sessions)} ${p.buildSeconds.toFixed(1)} s` +
            (p.fileBytes !== undefined ? ` ${(p.fileBytes / 2 ** 20).toFixed(0)} MiB` : ''),
        )
        .join(', ') +
      '.',
  );
  console.log(out.join('\n'));

  if (args.json !== undefined) {
    const raw = {
      date: new Date().toISOString(),
      machine,
      options: { quick, sizes, stores, rounds, pragmas },
      baselines,
      rows: rows.map((row) => ({
        store: row.store,
        sessions: row.sessions,
        operation: row.operation,
        medianOpsPerSecond: row.measurement.median,
        cpuMedianOpsPerSecond: row.measurement.cpuMedian,
        roundsCpuOpsPerSecond: row.measurement.cpuRounds,
        microsecondsPerOp: 1e6 / row.measurement.median,
        fractionOfCreateHmac: row.measurement.median / hmacRate,
        fractionOfHmacPlusSha256: row.measurement.median / limitRate,
        roundsOpsPerSecond: row.measurement.rounds,
        timedOperations: row.measurement.operations,
        failures: row.failures,
        otherCores: row.measurement.otherCores,
      })),
      populations: populationInfo,
      cookie,
      targets,
      seconds,
      sink,
    };
    writeFileSync(args.json, `${JSON.stringify(raw, null, 2)}\n`);
    progress(`raw results written to ${args.json}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
