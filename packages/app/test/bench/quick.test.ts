// `cloakroom bench --quick` end to end, as CI runs it: the command exits 0, writes its four files, and
// results.json validates against the results.schema.json written beside it (checked with ajv).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from '../../src/bench/results.js';
import { jsonSchemaValidator, readJson } from './schema.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

test(
  'bench --quick writes a report whose results.json validates against its schema',
  { timeout: 300_000 },
  async () => {
    const out = mkdtempSync(join(tmpdir(), 'cloakroom-bench-quick-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'bench', '--quick', '--out', out], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, `bench --quick failed:\n${stderr.slice(-3000)}`);
      // Not a TTY: plain progress lines, no bar.
      assert.match(stderr, /\[bench 1\/\d+, \d+ s\] sizes/);
      assert.match(stdout, /^Targets$/m);
      assert.match(stdout, /Report written to /);

      for (const name of ['report.md', 'report.html', 'results.json', 'results.schema.json']) {
        assert.ok(existsSync(join(out, name)), name);
      }
      const results = readJson(join(out, 'results.json'));
      assert.equal(jsonSchemaValidator(readJson(join(out, 'results.schema.json')))(results), null);

      const run = results as BenchResults;
      assert.equal(run.mode, 'quick');
      const signed = run.sizes.items.find((item) => item.id === 'cloakroom-signed');
      assert.equal(signed?.status, 'ran');
      assert.ok((signed?.valueBytes ?? 0) > 0);
      const baseline = run.http.scenarios.find((scenario) => scenario.id === 'bare-node-http');
      assert.equal(baseline?.status, 'ran', 'the HTTP baseline ran');
      assert.ok((baseline?.medianRequestsPerSecond ?? 0) > 0);
      assert.equal(
        run.inProcess.scenarios.find((scenario) => scenario.id === 'cloakroom-sqlite')?.status,
        'ran',
      );
      // Every target has a verdict, and a measured figure unless it was not run.
      assert.deepEqual(
        run.targets.map((target) => target.id),
        [
          'node-sqlite',
          'node-near-cache',
          'node-redis',
          'site-observability',
          'node-vs-jwt',
          'express-vs-bare',
          'express-vs-express-session',
          'fastify-vs-fastify-session',
          'fastify-near-cache-vs-bare',
          'hono-near-cache-vs-bare',
          'best-vs-better-auth',
          'best-vs-iron-session',
          'cookie-size',
          'cookie-vs-jwt',
        ],
      );
      for (const target of run.targets) {
        assert.equal(target.measured === null, target.verdict === 'NOT RUN', target.id);
      }
      // Whatever did not run says why in the report.
      const markdown = readFileSync(join(out, 'report.md'), 'utf8');
      for (const scenario of run.http.scenarios.filter((candidate) => candidate.status !== 'ran')) {
        assert.ok(markdown.includes(scenario.label), `${scenario.id} is listed as not run`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
