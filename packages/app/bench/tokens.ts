/**
 * Access-token benchmark (`npm run bench:tokens`): signs and verifications per second for EdDSA, ES256, RS256 and
 * HS256 through Cloakroom's verifier, with and without its verified-token cache, beside raw `jose.jwtVerify` with
 * the same checks in the same run; and token sizes in bytes.
 *
 * Targets: a cached verification at least 30x a raw EdDSA `jose.jwtVerify` (against the raw call handed the public
 * key directly, the fastest raw form); the default access token (EdDSA, realistic claims) at most 512 bytes.
 *
 * Options:
 *   --quick            3 short rounds: a sanity run of a few seconds
 *   --rounds <n>       timed rounds per measurement (default 7)
 *   --round-ms <ms>    length of one round (default 300)
 *   --algs <list>      comma-separated subset of EdDSA,ES256,RS256,HS256
 *   --json <file>      also write the raw results as JSON
 *
 * This prints numbers; it is not a test. Exit status 1 only if a verification failed or the run broke.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createLocalJWKSet, importJWK, jwtVerify, type JWTVerifyOptions } from 'jose';
import {
  createVerifier,
  loadOrCreateKeyring,
  memoryKeyringStorage,
  signAccessToken,
  type SigningKeySource,
  type TokenVerifier,
} from 'cloakroom/tokens';
import {
  collectGarbage,
  Cursor,
  measureAsync,
  median,
  spread,
  type Measurement,
  type RoundOptions,
} from '../src/bench/measure.js';
import { formatMicros, formatPercent, formatRate, table } from '../src/bench/format.js';
import { helpFromHeader } from './lib/usage.js';

const ALGS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const;
type Alg = (typeof ALGS)[number];

helpFromHeader(import.meta.url);
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'round-ms': { type: 'string' },
    algs: { type: 'string' },
    json: { type: 'string' },
  },
});
const quick = args.quick === true;
const rounds: RoundOptions = {
  rounds: args.rounds !== undefined ? Number(args.rounds) : quick ? 3 : 7,
  roundMs: args['round-ms'] !== undefined ? Number(args['round-ms']) : quick ? 150 : 300,
  warmupRounds: 1,
};
const algs = (args.algs?.split(',').map((alg) => alg.trim()) ?? [...ALGS]) as Alg[];
if (algs.some((alg) => !ALGS.includes(alg))) usage(`--algs takes a subset of ${ALGS.join(',')}`);
if (!Number.isInteger(rounds.rounds) || rounds.rounds < 1) usage('--rounds takes a positive integer');
if (!Number.isFinite(rounds.roundMs) || rounds.roundMs <= 0) usage('--round-ms takes a positive number');

function usage(message: string): never {
  console.error(`bench:tokens: ${message}`);
  process.exit(2);
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// Realistic claims for the reference app: its origin as issuer, its API as audience, ids as long as the app's.
const ISSUER = 'http://localhost:3000';
const AUDIENCE = 'http://localhost:3000/api';
const SUBJECT = randomBytes(12).toString('base64url'); // 16 characters, like the app's user ids
const SESSION_ID = randomBytes(12).toString('base64url'); // 16 characters, like a session id
const SCOPE = 'profile notes:read notes:write';
const TOKENS_PER_POOL = 512;

const verifyOptions = (alg: Alg): JWTVerifyOptions => ({
  algorithms: [alg],
  issuer: ISSUER,
  audience: AUDIENCE,
  typ: 'at+jwt',
  requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
  clockTolerance: 30,
  maxTokenAge: 3600,
});

interface Row {
  alg: Alg;
  operation: string;
  measurement: Measurement;
}

interface Setup {
  source: SigningKeySource;
  /** What raw jose.jwtVerify is handed: the public key itself, and the local JWKS lookup. */
  rawKey: CryptoKey | Uint8Array;
  rawJwks: ReturnType<typeof createLocalJWKSet> | null;
  verifier: (cache: boolean) => TokenVerifier;
}

async function setup(alg: Alg): Promise<Setup> {
  if (alg === 'HS256') {
    const secret = randomBytes(32);
    return {
      source: { signingKey: () => ({ kid: 'hs', alg: 'HS256', key: secret }) },
      // Imported once, as a careful service would (and as the verifier does): a raw secret would be re-imported
      // by jose for every token.
      rawKey: await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
        'verify',
      ]),
      rawJwks: null,
      verifier: (cache) =>
        createVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256'],
          secret,
          ...(cache ? {} : { cache: false }),
        }),
    };
  }
  const keyring = await loadOrCreateKeyring({ storage: memoryKeyringStorage(), alg });
  const jwks = keyring.publicJwks();
  const current = jwks.keys.find((key) => key.kid === keyring.signingKey().kid)!;
  return {
    source: keyring,
    rawKey: (await importJWK(current, alg)) as CryptoKey,
    rawJwks: createLocalJWKSet(jwks),
    verifier: (cache) =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: [alg],
        jwks,
        ...(cache ? {} : { cache: false }),
      }),
  };
}

function sign(source: SigningKeySource) {
  return signAccessToken({
    keyring: source,
    issuer: ISSUER,
    subject: SUBJECT,
    audience: AUDIENCE,
    clientId: 'web',
    scope: SCOPE,
    sessionId: SESSION_ID,
  });
}

let failures = 0;
let sink = 0;

async function measureAlg(alg: Alg, rows: Row[], sizes: Map<Alg, number>): Promise<void> {
  const s = await setup(alg);
  const tokens = await Promise.all(
    Array.from({ length: TOKENS_PER_POOL }, async () => (await sign(s.source)).token),
  );
  sizes.set(alg, Buffer.byteLength(tokens[0]!));
  const add = (operation: string, measurement: Measurement) => rows.push({ alg, operation, measurement });
  const batch = alg === 'RS256' ? 16 : 64;

  const tasks: { label: string; batch: (count: number) => Promise<void> }[] = [];
  tasks.push({
    label: 'sign (signAccessToken)',
    batch: async (count) => {
      for (let i = 0; i < count; i++) sink ^= (await sign(s.source)).token.length;
    },
  });
  const raw = (key: Parameters<typeof jwtVerify>[1], label: string) => {
    const cursor = new Cursor(tokens);
    const options = verifyOptions(alg);
    tasks.push({
      label,
      batch: async (count) => {
        for (let i = 0; i < count; i++) {
          const { payload } = await jwtVerify(cursor.next(), key as Uint8Array, options);
          sink ^= payload.exp ?? 0;
        }
      },
    });
  };
  raw(s.rawKey, 'raw jose.jwtVerify, public key');
  if (s.rawJwks !== null) raw(s.rawJwks, 'raw jose.jwtVerify, local JWKS');
  for (const cache of [false, true]) {
    const verifier = s.verifier(cache);
    if (cache) for (const token of tokens) await verifier.verify(token); // warm every entry
    const cursor = new Cursor(tokens);
    tasks.push({
      label: cache ? 'Cloakroom verify, cached' : 'Cloakroom verify, no cache',
      batch: async (count) => {
        for (let i = 0; i < count; i++) {
          try {
            sink ^= (await verifier.verify(cursor.next())).claims.exp;
          } catch {
            failures++;
          }
        }
      },
    });
  }

  // Two passes, the second in reverse order, each measurement's rounds pooled: a machine that gets busier or
  // quieter during the run then moves every row about equally, and the ratios stay fair.
  const pooled = new Map<string, Measurement[]>();
  for (const order of [tasks, [...tasks].reverse()]) {
    for (const task of order) {
      progress(`${alg}: ${task.label}`);
      collectGarbage();
      const measurement = await measureAsync(task.batch, batch, rounds);
      pooled.set(task.label, [...(pooled.get(task.label) ?? []), measurement]);
    }
  }
  for (const task of tasks) add(task.label, pool(pooled.get(task.label)!));
}

/** One measurement from several runs of the same thing: all their rounds together. */
function pool(runs: readonly Measurement[]): Measurement {
  const all = runs.flatMap((run) => run.rounds);
  const cpuAll = runs.flatMap((run) => run.cpuRounds);
  const loads = runs.map((run) => run.otherCores).filter((load): load is number => load !== null);
  return {
    rounds: all,
    median: median(all),
    cpuRounds: cpuAll,
    cpuMedian: median(cpuAll),
    operations: runs.reduce((sum, run) => sum + run.operations, 0),
    otherCores: loads.length === 0 ? null : Math.max(...loads),
  };
}

async function main(): Promise<void> {
  progress(
    `${availableParallelism()} cores, node ${process.version}; ${rounds.rounds} rounds x ${rounds.roundMs} ms`,
  );
  const rows: Row[] = [];
  const sizes = new Map<Alg, number>();
  for (const alg of algs) await measureAlg(alg, rows, sizes);
  if (failures > 0) {
    console.error(`bench:tokens: ${failures} verifications failed; the numbers would be meaningless`);
    process.exit(1);
  }

  const rate = (alg: Alg, operation: string) =>
    rows.find((r) => r.alg === alg && r.operation === operation)?.measurement;
  const out: string[] = [];
  out.push('Cloakroom access-token benchmark');
  out.push(
    `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}); node ${process.version}, OpenSSL ${process.versions.openssl}`,
  );
  out.push(
    `Each figure is the median of 2 x ${rounds.rounds} rounds of ${rounds.roundMs} ms (two passes, the second in ` +
      `reverse order), each pass after one warm-up round; ` +
      `operations are awaited one after another over ${TOKENS_PER_POOL} distinct tokens. "x raw" divides by ` +
      `raw jose.jwtVerify handed the public key (same alg); "CPU" figures use this process's CPU time, which ` +
      `other processes on a shared machine barely move; "others" is the cores they kept busy.`,
  );
  out.push('');
  out.push(
    table(
      ['alg', 'operation', 'ops/s', 'µs/op', 'CPU µs/op', 'spread', 'others', 'x raw', 'x raw (CPU)'],
      rows.map((row) => {
        const baseline = rate(row.alg, 'raw jose.jwtVerify, public key');
        return [
          row.alg,
          row.operation,
          formatRate(row.measurement.median),
          formatMicros(row.measurement.median),
          formatMicros(row.measurement.cpuMedian),
          formatPercent(spread(row.measurement.rounds)),
          row.measurement.otherCores === null ? '-' : row.measurement.otherCores.toFixed(2),
          baseline === undefined || row.operation.startsWith('sign')
            ? '-'
            : `${(row.measurement.median / baseline.median).toFixed(2)}x`,
          baseline === undefined || row.operation.startsWith('sign')
            ? '-'
            : `${(row.measurement.cpuMedian / baseline.cpuMedian).toFixed(2)}x`,
        ];
      }),
      2,
    ),
  );
  out.push('');
  out.push(
    table(
      ['alg', 'token bytes'],
      [...sizes].map(([alg, bytes]) => [alg, String(bytes)]),
    ),
  );
  out.push('');
  const targets: { name: string; value: string; met: boolean | null }[] = [];
  const cachedEd = rate('EdDSA', 'Cloakroom verify, cached');
  const rawEd = rate('EdDSA', 'raw jose.jwtVerify, public key');
  if (cachedEd !== undefined && rawEd !== undefined) {
    const ratio = cachedEd.median / rawEd.median;
    const cpuRatio = cachedEd.cpuMedian / rawEd.cpuMedian;
    targets.push({
      name: 'cached EdDSA verification >= 30x raw EdDSA jose.jwtVerify',
      value: `${ratio.toFixed(1)}x (CPU time: ${cpuRatio.toFixed(1)}x)`,
      met: ratio >= 30 && cpuRatio >= 30,
    });
  }
  const edSize = sizes.get('EdDSA');
  if (edSize !== undefined) {
    targets.push({
      name: 'default access token (EdDSA) <= 512 bytes',
      value: `${edSize} bytes`,
      met: edSize <= 512,
    });
  }
  out.push('Targets');
  out.push(
    table(
      ['target', 'measured', 'met'],
      targets.map((t) => [t.name, t.value, t.met === null ? '-' : t.met ? 'yes' : 'NO']),
    ),
  );
  out.push('');
  out.push(
    `Default token claims: iss ${ISSUER}, aud ${AUDIENCE}, sub/sid 16 characters, jti 22, client_id "web", scope "${SCOPE}".`,
  );
  console.log(out.join('\n'));
  if (args.json !== undefined) {
    writeFileSync(
      args.json,
      JSON.stringify(
        {
          rounds,
          rows: rows.map((r) => ({ alg: r.alg, operation: r.operation, ...r.measurement })),
          sizes: Object.fromEntries(sizes),
          targets,
          sink,
        },
        null,
        2,
      ),
    );
  }
}

await main();
