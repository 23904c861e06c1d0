/**
 * `npm run bench:writes`: what a socket write costs a `node:http` server on this machine, as a function of
 * how much other work each request does. A load script, not a test.
 *
 * The bare hello world (bench/lib/hello-server.ts) is made to burn a known amount of CPU per request
 * (`HELLO_SPIN_MICROS`: 0, 5, 10, 20 µs), each ending its answers at once or batched per event-loop turn
 * (`CLOAKROOM_BENCH_WRITES`), and autocannon (50 connections, in this process) loads each variant in turn,
 * alternating, for a few rounds. The table gives medians: req/s, the server's CPU µs per request, that cost
 * above the spin-0 server of the same write mode ("added"), and the req/s ratio to that server.
 *
 * Why it exists: on a two-core loopback the load generator shares the machine, and a write that wakes an
 * idle client costs the server more than one made while the client is busy. If added work were simply
 * additive, "added" would equal the spin; where it is larger, every ratio to a bare baseline understates the
 * server under test (docs/benchmarks.md, "Socket writes on a two-core loopback").
 *
 * Flags: `--duration N` seconds per run (4), `--rounds N` (3), `--spins 0,5,10,20`, `--connections N` (50).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../src/bench/measure.js';
import { table } from '../src/bench/format.js';
import { helpFromHeader } from './lib/usage.js';

interface CpuUsage {
  user: number;
  system: number;
}

// autocannon ships no types: the parts of its documented API (README, "API" and "Results") used here.
interface AutocannonResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (
  options: { url: string; connections: number; duration: number },
  callback: (error: Error | null, result: AutocannonResult) => void,
) => unknown;

helpFromHeader(import.meta.url);
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    spins: { type: 'string', default: '0,5,10,20' },
    connections: { type: 'string', default: '50' },
  },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const spins = values.spins.split(',').map(Number);
if (![duration, rounds, connections, ...spins].every((value) => Number.isFinite(value) && value >= 0)) {
  console.error('bench:writes: --duration, --rounds, --connections and --spins take non-negative numbers');
  process.exit(2);
}

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const entry = fileURLToPath(new URL('./lib/hello-server.ts', import.meta.url));
const modes = ['immediate', 'batched'] as const;
type Mode = (typeof modes)[number];

interface Server {
  mode: Mode;
  spin: number;
  process: ChildProcess;
  url: string;
}

function start(mode: Mode, spin: number): Promise<Server> {
  const child = fork(entry, [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: { ...process.env, CLOAKROOM_BENCH_WRITES: mode, HELLO_SPIN_MICROS: String(spin) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`a hello server exited (code ${String(code)})`)));
    child.on('message', (message: { type?: string; url?: string }) => {
      if (message.type === 'ready') resolve({ mode, spin, process: child, url: message.url ?? '' });
    });
  });
}

function cpuOf(server: Server): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string; usage?: CpuUsage }) => {
      if (message.type !== 'cpu' || message.usage === undefined) return;
      server.process.off('message', onMessage);
      resolve(message.usage.user + message.usage.system);
    };
    server.process.on('message', onMessage);
    server.process.send({ type: 'cpu' });
  });
}

async function load(server: Server, seconds: number): Promise<{ rate: number; micros: number }> {
  const before = await cpuOf(server);
  const started = performance.now();
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    autocannon({ url: server.url, connections, duration: seconds }, (error, value) => {
      if (error) reject(error);
      else resolve(value);
    });
  });
  const elapsed = (performance.now() - started) / 1000;
  const micros = (await cpuOf(server)) - before;
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${String(failed)} failed requests against ${server.url}`);
  return { rate: result.requests.total / elapsed, micros: micros / result.requests.total };
}

console.log(
  `bench:writes: spins ${spins.join(', ')} µs × writes ${modes.join(', ')}; ${String(rounds)} round(s) of ` +
    `${String(duration)} s, ${String(connections)} connections; ${String(availableParallelism())} CPUs; ` +
    `load average ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
);
const servers: Server[] = [];
try {
  for (const mode of modes) for (const spin of spins) servers.push(await start(mode, spin));
  for (const server of servers) await load(server, 1); // warm-up, not reported
  const runs = new Map<Server, { rate: number; micros: number }[]>(servers.map((server) => [server, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const server of servers) {
      const step = `round ${String(round)}/${String(rounds)}: ${server.mode}, spin ${String(server.spin)} µs`;
      // A progress line on a terminal; nothing in a log.
      if (process.stdout.isTTY) process.stdout.write(`\r${step.padEnd(50)}`);
      runs.get(server)?.push(await load(server, duration));
    }
  }
  if (process.stdout.isTTY) process.stdout.write(`\r${''.padEnd(50)}\r`);
  const medians = new Map(
    servers.map((server) => {
      const measured = runs.get(server) ?? [];
      return [
        server,
        { rate: median(measured.map((run) => run.rate)), micros: median(measured.map((run) => run.micros)) },
      ];
    }),
  );
  const rows = servers.map((server) => {
    const own = medians.get(server) ?? { rate: 0, micros: 0 };
    const base = medians.get(
      servers.find((other) => other.mode === server.mode && other.spin === spins[0]) ?? server,
    );
    const baseMicros = base?.micros ?? 0;
    return [
      server.mode,
      `${String(server.spin)} µs`,
      Math.round(own.rate).toLocaleString('en-US'),
      own.micros.toFixed(1),
      `+${(own.micros - baseMicros).toFixed(1)}`,
      base === undefined ? '' : (own.rate / base.rate).toFixed(2),
    ];
  });
  console.log(
    table(
      [
        'writes',
        'spin/request',
        'req/s (median)',
        'server µs/req',
        `added vs spin ${String(spins[0])}`,
        'ratio',
      ],
      rows,
    ),
  );
} finally {
  for (const server of servers) server.process.kill('SIGTERM');
}
