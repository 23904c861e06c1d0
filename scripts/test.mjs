// Runs every test file under packages/*/test/ with node's test runner. Node 20's runner takes explicit files, not
// globs, so this script finds them; extra arguments narrow the run (`npm test -- packages/cloakroom/test/session`).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => collect(join(path, entry)));
}

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['packages/cloakroom/test', 'packages/app/test']).flatMap(collect);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// The services the tests need (Chromium, memcached, a Redis Cluster) are started first, so that on a fresh
// machine `npm test` sets up everything itself. Where that is impossible (no root, no package source) the
// tests that need them skip with a visible message, except under CI=true, where they fail.
if (process.env.CLOAKROOM_SKIP_SERVICES !== '1') {
  const services = spawnSync('bash', ['scripts/start-services.sh'], { stdio: 'inherit' });
  if (services.status !== 0) {
    console.error('# could not start every test service; the tests that need them will say so');
    if (process.env.CI === 'true') process.exit(services.status ?? 1);
  }
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
