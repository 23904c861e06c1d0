// Targets and the bandwidth projection, on hand-made figures: PASS, MISS and NOT RUN, never a hidden miss.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bandwidth, calibrationNotes, evaluateTargets, writesSentence } from '../../src/bench/analysis.js';
import type { HttpScenario, SizeItem } from '../../src/bench/results.js';

function http(id: string, ratio: number | undefined, status: HttpScenario['status'] = 'ran'): HttpScenario {
  const scenario: HttpScenario = { id, label: id, stack: 'node:http', status, runs: [] };
  if (ratio !== undefined) scenario.ratio = ratio;
  if (status !== 'ran') scenario.reason = 'ioredis not installed';
  return scenario;
}

function size(id: string, valueBytes: number, cookieBytes: number): SizeItem {
  return { id, label: id, family: 'jwt', status: 'ran', valueBytes, cookieBytes, detail: '' };
}

const sizes = [size('cloakroom-signed', 62, 79), size('jwt-hs256', 228, 234), size('iron-session', 265, 278)];

describe('bench targets', () => {
  test('ratio targets pass at the threshold and miss below it, with what was divided', () => {
    const targets = evaluateTargets({
      sizes,
      http: [http('cloakroom-sqlite', 0.6), http('cloakroom-near-cache', 0.69), http('cloakroom-redis', 0.5)],
    });
    const byId = new Map(targets.map((target) => [target.id, target]));
    assert.equal(byId.get('node-sqlite')?.verdict, 'PASS');
    assert.equal(byId.get('node-near-cache')?.verdict, 'MISS');
    assert.equal(byId.get('node-near-cache')?.measured, 0.69);
    assert.equal(byId.get('node-redis')?.verdict, 'PASS');
    assert.equal(byId.get('node-sqlite')?.detail, 'cloakroom-sqlite / bare node:http');
  });

  test('relative targets divide two ratios; "best against best" takes the best Cloakroom scenario', () => {
    const targets = evaluateTargets({
      sizes,
      http: [
        http('cloakroom-sqlite', 0.5),
        http('cloakroom-near-cache', 0.8),
        http('jwt-eddsa-user', 0.1),
        http('express-bare', 0.2),
        http('express-cloakroom-redis', 0.16),
        http('express-session-redis', 0.12),
        http('better-auth-redis', 0.1),
        http('iron-session', 0.05),
      ],
    });
    const byId = new Map(targets.map((target) => [target.id, target]));
    assert.equal(byId.get('node-vs-jwt')?.measured, 5);
    assert.equal(byId.get('node-vs-jwt')?.verdict, 'PASS');
    assert.ok(Math.abs((byId.get('express-vs-bare')?.measured ?? 0) - 0.8) < 1e-9);
    assert.equal(byId.get('express-vs-bare')?.verdict, 'MISS');
    assert.equal(byId.get('best-vs-better-auth')?.measured, 8);
    assert.equal(byId.get('best-vs-better-auth')?.detail, 'cloakroom-near-cache / better-auth-redis');
    assert.equal(byId.get('best-vs-iron-session')?.measured, 16);
  });

  test('a target whose scenario did not run is NOT RUN with the reason, never PASS or MISS', () => {
    const targets = evaluateTargets({ sizes: [], http: [http('cloakroom-redis', undefined, 'skipped')] });
    const redis = targets.find((target) => target.id === 'node-redis');
    assert.equal(redis?.verdict, 'NOT RUN');
    assert.equal(redis?.measured, null);
    assert.match(redis?.detail ?? '', /skipped \(ioredis not installed\)/);
    assert.equal(targets.find((target) => target.id === 'node-sqlite')?.verdict, 'NOT RUN');
    assert.equal(targets.find((target) => target.id === 'cookie-size')?.verdict, 'NOT RUN');
  });

  test('cookie targets: <= 64 bytes and >= 3.5x smaller than the HS256 JWT', () => {
    const targets = evaluateTargets({ sizes, http: [] });
    const cookie = targets.find((target) => target.id === 'cookie-size');
    assert.equal(cookie?.measured, 62);
    assert.equal(cookie?.verdict, 'PASS');
    const versus = targets.find((target) => target.id === 'cookie-vs-jwt');
    assert.ok(Math.abs((versus?.measured ?? 0) - 228 / 62) < 1e-9);
    assert.equal(versus?.verdict, 'PASS');
    const big = evaluateTargets({
      sizes: [size('cloakroom-signed', 70, 87), size('jwt-hs256', 228, 234)],
      http: [],
    });
    assert.equal(big.find((target) => target.id === 'cookie-size')?.verdict, 'MISS');
    assert.equal(big.find((target) => target.id === 'cookie-vs-jwt')?.verdict, 'MISS');
  });
});

describe('bench bandwidth', () => {
  test("the seed's projection recomputed from the measured HS256 JWT, and each credential per month", () => {
    const result = bandwidth(sizes, 100_000);
    // (228 - 6) bytes x 100,000 requests
    assert.ok(Math.abs(result.seed.recomputedMegabytes - 22.2) < 1e-9);
    assert.equal(result.seed.jwtBytes, 304);
    const iron = result.rows.find((row) => row.id === 'iron-session');
    assert.equal(iron?.bytesPerMonth, 27_800_000);
    assert.equal(iron?.extraBytesPerRequest, 278 - 79);
    assert.equal(iron?.extraBytesPerMonth, (278 - 79) * 100_000);
    assert.equal(result.rows.find((row) => row.id === 'cloakroom-signed')?.extraBytesPerMonth, 0);
  });
});

describe('bench noise notes', () => {
  test('ratios that moved 1.5x between rounds, and ratios above 1, are called out', async () => {
    const { httpNoise } = await import('../../src/bench/analysis.js');
    const run = (round: number, rate: number, baseline: number) => ({
      round,
      requestsPerSecond: rate,
      requests: rate,
      p50: 1,
      p99: 2,
      serverCpu: 1,
      serverMicrosPerRequest: 100,
      loadCpu: 0.5,
      otherCpu: null,
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      baselineRequestsPerSecond: baseline,
    });
    const steady: HttpScenario = { ...http('steady', 0.5), runs: [run(1, 500, 1000), run(2, 550, 1000)] };
    const wild: HttpScenario = { ...http('wild', 1.2), runs: [run(1, 300, 1000), run(2, 1200, 1000)] };
    const notes = httpNoise([steady, wild]);
    assert.equal(notes.length, 2);
    assert.match(notes[0] ?? '', /moved 1\.5x or more between rounds.*: wild \(0\.30, 1\.20\)\.$/);
    assert.doesNotMatch(notes[0] ?? '', /steady/);
    assert.match(notes[1] ?? '', /^Above 1 .*wild 1\.20/);
    assert.deepEqual(httpNoise([steady]), []);
  });
});

describe('bench calibration and write mode', () => {
  test('a calibration server is quoted beside the ratio the issue measured for it; others are not', () => {
    const map = { ...http('calibration-map', 0.87), label: 'Map lookup', issueRatio: 0.9 };
    const notes = calibrationNotes([map, http('cloakroom-sqlite', 0.5)]);
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /Map lookup: 0\.87 of bare here, 0\.90 in the issue's measurement/);
    assert.doesNotMatch(notes[0] ?? '', /cloakroom-sqlite/);
  });

  test('no calibration note when no calibration server ran', () => {
    const skipped = { ...http('calibration-redis-get', undefined, 'skipped'), issueRatio: 0.6 };
    assert.deepEqual(calibrationNotes([skipped, http('cloakroom-sqlite', 0.5)]), []);
  });

  test('the reports say how the servers wrote their answers', () => {
    const options = (writes: 'batched' | 'immediate') => ({ options: { http: { writes } } });
    assert.match(writesSentence(options('batched')), /baseline included/);
    assert.match(writesSentence(options('immediate')), /each answer at once/);
  });
});
