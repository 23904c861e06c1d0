// Enumeration through POST /api/auth/password/forgot: a known and an unknown address get the same status,
// body and headers, and their answer times overlap (the lookup and the mail happen after the answer). The
// medians and p90s are printed; the assertion is only that each median lies within the other's p90, which
// load on the machine cannot break (both sides are measured interleaved, under the same load).
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, uniqueEmail } from './client.js';

const ROUNDS = 200;
const LIFTED = { limit: 1_000_000, windowSeconds: 3600 };

let app: TestApp;
before(async () => {
  app = await startTestApp({ recoveryLimits: { resetPerAddress: LIFTED, resetPerIp: LIFTED } });
});
after(async () => {
  await app.stop();
});

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

test(`forgot password: known and unknown addresses answer alike over ${ROUNDS} requests each`, async () => {
  const owner = new ApiClient(app);
  const known = uniqueEmail('timing-known');
  await owner.register(known);
  const visitor = new ApiClient(app);
  const times = { known: [] as number[], unknown: [] as number[] };
  const shape = new Set<string>();
  const send = async (email: string) => {
    const start = performance.now();
    const response = await visitor.post('/api/auth/password/forgot', { email });
    const elapsed = performance.now() - start;
    const headers = [...response.headers].filter(([name]) => name !== 'date' && name !== 'x-request-id');
    shape.add(JSON.stringify([response.status, response.text, headers]));
    return elapsed;
  };
  for (let i = 0; i < 20; i++) await send(i % 2 === 0 ? known : uniqueEmail('warm'));
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first, so neither side always follows the other's background work.
    const order = i % 2 === 0 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
    for (const kind of order) {
      times[kind].push(await send(kind === 'known' ? known : uniqueEmail('timing-unknown')));
    }
  }
  await app.services.mailer.idle();
  assert.equal(shape.size, 1, `one status, body and header set for both: ${[...shape].join(' | ')}`);
  const k = times.known.sort((a, b) => a - b);
  const u = times.unknown.sort((a, b) => a - b);
  const stats = {
    known: { median: quantile(k, 0.5), p90: quantile(k, 0.9) },
    unknown: { median: quantile(u, 0.5), p90: quantile(u, 0.9) },
  };
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  console.log(
    `forgot-password timing over ${ROUNDS} requests each: known median ${ms(stats.known.median)}, ` +
      `p90 ${ms(stats.known.p90)}; unknown median ${ms(stats.unknown.median)}, p90 ${ms(stats.unknown.p90)}`,
  );
  assert.ok(stats.known.median <= stats.unknown.p90, 'the known median lies within the unknown distribution');
  assert.ok(stats.unknown.median <= stats.known.p90, 'the unknown median lies within the known distribution');
  assert.ok(
    app.services.outbox !== null && app.services.outbox.list(500).length >= ROUNDS,
    'the known address got its mails',
  );
});
