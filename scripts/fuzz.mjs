// `npm run fuzz`: the fuzz tests with many more cases than CI runs, from a random seed printed first, for local
// use (minutes). `npm run fuzz -- 50000` sets the cases per parser (default 200,000, at least 10,000); CLOAKROOM_FUZZ_SEED
// replays a seed. CI runs the same tests with 10,000 cases per parser from a fixed seed.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

const runs = process.argv[2] ?? process.env.CLOAKROOM_FUZZ_RUNS ?? '200000';
if (!(Number(runs) >= 10_000)) {
  // The tests also check that their generators reached the interesting cases, which assumes CI's depth.
  console.error('npm run fuzz: give at least 10000 cases per parser');
  process.exit(2);
}
const seed = process.env.CLOAKROOM_FUZZ_SEED ?? String(randomInt(0, 2 ** 31 - 1));
console.log(`# fuzz: ${runs} cases per parser, seed ${seed} (replay with CLOAKROOM_FUZZ_SEED=${seed})`);
const files = [
  'packages/cloakroom/test/fuzz',
  'packages/cloakroom/test/property',
  'packages/cloakroom/test/federation/return-to.test.ts',
  'packages/app/test/app/fuzz',
  'packages/app/test/app/tokens/parsing.property.test.ts',
];
const result = spawnSync(process.execPath, ['scripts/test.mjs', ...files], {
  stdio: 'inherit',
  env: { ...process.env, CLOAKROOM_SKIP_SERVICES: '1', CLOAKROOM_FUZZ_RUNS: runs, CLOAKROOM_FUZZ_SEED: seed },
});
process.exit(result.status ?? 1);
