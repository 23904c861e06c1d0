// npm run bench:observability: the reference site's GET /api/me with metrics and tracing off and on, each in
// its own server process (the `cloakroom bench` scenarios site-sqlite and site-sqlite-observed), warmed up,
// then measured in alternating rounds so both see the same machine. Prints requests per second and server
// CPU per request for each round, and the medians' ratio. A measurement, not a test: no bound is asserted.
import { importOptional } from '../src/bench/optional.js';
import { childCpu, startServerChild, stopServerChild } from '../src/bench/http/children.js';

// autocannon ships no types: the part of its documented API used here.
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
}) => Promise<{ requests: { total: number }; non2xx: number; errors: number }>;
const loaded = await importOptional<{ default: Autocannon }>('autocannon');
if (loaded === null) throw new Error('autocannon is not installed (a devDependency of the workspace)');
const autocannon = loaded.default;

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 3);
const WARMUP = Number(process.env.WARMUP_SECONDS ?? 2);
const SCENARIOS = ['site-sqlite', 'site-sqlite-observed'] as const;

async function load(url: string, cookie: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url,
    connections: 50,
    duration: seconds,
    headers: { cookie },
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${String(result.non2xx)} non-2xx, ${String(result.errors)} errors`);
  return result.requests.total / seconds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const children = await Promise.all(SCENARIOS.map((id) => startServerChild(id, {})));
const rates = new Map<string, number[]>(SCENARIOS.map((id) => [id, []]));
const micros = new Map<string, number[]>(SCENARIOS.map((id) => [id, []]));
try {
  for (const child of children) await load(child.url, child.cookie, WARMUP);
  for (let round = 0; round < ROUNDS; round++) {
    for (const child of round % 2 === 0 ? children : [...children].reverse()) {
      const before = await childCpu(child);
      const rate = await load(child.url, child.cookie, SECONDS);
      const after = await childCpu(child);
      const cpu = after.user + after.system - before.user - before.system;
      rates.get(child.scenario)?.push(rate);
      micros.get(child.scenario)?.push(cpu / (rate * SECONDS));
      console.log(
        `round ${String(round + 1)} ${child.scenario}: ${rate.toFixed(0)} req/s, ${(cpu / (rate * SECONDS)).toFixed(0)} µs CPU/request`,
      );
    }
  }
} finally {
  await Promise.all(children.map((child) => stopServerChild(child)));
}
const [off, on] = SCENARIOS.map((id) => median(rates.get(id) ?? []));
const [offCpu, onCpu] = SCENARIOS.map((id) => median(micros.get(id) ?? []));
// Each round measures both servers back to back: the median of the rounds' own ratios is less moved by a
// burst of other work on the machine than the ratio of the two medians.
const offRates = rates.get(SCENARIOS[0]) ?? [];
const onRates = rates.get(SCENARIOS[1]) ?? [];
const paired = median(offRates.map((rate, round) => (onRates[round] ?? 0) / rate));
console.log(
  `median: off ${(off ?? 0).toFixed(0)} req/s, on ${(on ?? 0).toFixed(0)} req/s, ratio on/off ${((on ?? 0) / (off ?? 1)).toFixed(3)}`,
);
console.log(`median of the rounds' on/off ratios: ${paired.toFixed(3)}`);
console.log(`median CPU/request: off ${(offCpu ?? 0).toFixed(0)} µs, on ${(onCpu ?? 0).toFixed(0)} µs`);
