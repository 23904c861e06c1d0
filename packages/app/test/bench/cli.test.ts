// `cloakroom bench --render`: an earlier results.json written again as a report, and a clear error (exit 2,
// no stack) for a file that is not one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/results.json', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cloakroom-bench-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function bench(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'bench', ...args], { encoding: 'utf8' });
}

test('bench --render writes the report of an earlier run without measuring', () => {
  const out = join(dir, 'rendered');
  const run = bench('--render', FIXTURE, '--out', out);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Report written to .* from /);
  for (const name of ['report.md', 'report.html', 'results.json', 'results.schema.json']) {
    assert.ok(existsSync(join(out, name)), name);
  }
  assert.deepEqual(
    JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')),
    JSON.parse(readFileSync(FIXTURE, 'utf8')),
  );
});

test('bench --render refuses a file that is not a results file, with exit 2 and no stack', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ schemaVersion: 1, tool: 'something else' }));
  const run = bench('--render', bad, '--out', join(dir, 'never'));
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^cloakroom bench: .*bad\.json is not a cloakroom bench results file \(tool: /);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  assert.ok(!existsSync(join(dir, 'never')));

  const missing = bench('--render', join(dir, 'missing.json'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read .*missing\.json \(ENOENT\)/);
});

test('bench rejects bad options before measuring anything', () => {
  const run = bench('--sections', 'sizes,nope');
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /a comma-separated list of sizes, in-process, http, bandwidth/);
});

test('bench --writes takes only batched or immediate', () => {
  const run = bench('--writes', 'sideways', '--out', join(dir, 'never-writes'));
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /--writes <mode>.*sideways.*Allowed choices are batched, immediate/s);
  assert.ok(!existsSync(join(dir, 'never-writes')));
});
