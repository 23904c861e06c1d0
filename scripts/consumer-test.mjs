// The packages as users receive them: `npm pack` both, install the tarballs into a scratch project in a temp
// folder (which cannot see this repository's node_modules) with only what a user would add, and use them the
// way docs/getting-started.md and the README say. Run by .ci/run after `npm run build`; it installs from the
// npm registry and compiles better-sqlite3, so it takes minutes and is not part of `npm test`.
//
//   node scripts/consumer-test.mjs [--keep]     (--keep leaves the scratch project for a look)
/* global fetch -- Node's, as the user's code would use it */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pinned = (name) => `${name}@${rootManifest.devDependencies[name]}`;
let failures = 0;

function step(title) {
  console.log(`\n# ${title}`);
}
function ok(message) {
  console.log(`ok - ${message}`);
}
function fail(message) {
  failures += 1;
  console.log(`not ok - ${message}`);
}
function check(condition, message, detail = '') {
  if (condition) ok(message);
  else fail(detail === '' ? message : `${message}: ${detail}`);
}
function sh(command, args, cwd, env = {}) {
  console.log(`$ ${[command, ...args].join(' ')}`);
  execFileSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
}
function capture(command, args, cwd, env = {}) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
function dirSize(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, entry) => sum + dirSize(join(path, entry)), 0);
}
function countPackages(nodeModules) {
  let count = 0;
  for (const entry of existsSync(nodeModules) ? readdirSync(nodeModules) : []) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) count += countPackages(join(nodeModules, entry)) - 0;
    else if (existsSync(join(nodeModules, entry, 'package.json'))) {
      count += 1 + countPackages(join(nodeModules, entry, 'node_modules'));
    }
  }
  return count;
}
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
function freePort() {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}
/** Starts a long-running command, resolves once `ready` appears on its output. */
function startProcess(command, args, cwd, env, ready) {
  console.log(`$ ${[command, ...args].join(' ')} &`);
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() ends npx and the node it started alike
  });
  let output = '';
  return new Promise((done, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 60 s: ${output}`)), 60_000);
    const listen = (chunk) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        done({ child, output: () => output });
      }
    };
    child.stdout.on('data', listen);
    child.stderr.on('data', listen);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${String(code)}) before it was ready: ${output}`));
    });
  });
}
/**
 * Ends a started command and everything it started: `npx` does not pass SIGTERM on to the node process it
 * runs, and an orphan that keeps the inherited stdout open would keep .ci/run's `tee` (and CI) waiting.
 */
function stop(child) {
  child.removeAllListeners('exit');
  return new Promise((done) => {
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (!exited) child.once('exit', done);
    try {
      process.kill(-child.pid, 'SIGTERM'); // the group outlives its leader: what npx started ends too
    } catch {
      if (!exited) child.kill('SIGTERM');
    }
    if (exited) done();
  });
}
/** The ```ts blocks of a doc whose first line is `// <file>`, by file name. */
function docFiles(doc) {
  const text = readFileSync(join(root, doc), 'utf8');
  const files = new Map();
  for (const match of text.matchAll(/^```ts\n\/\/ ([\w.-]+\.ts)\n([\s\S]*?)^```/gm))
    files.set(match[1], match[2]);
  return files;
}
const noStackTrace = (text) => !/^\s+at .+\(.+:\d+:\d+\)$/m.test(text) && !/^\s+at /m.test(text);

// ---------------------------------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'cloakroom-consumer-'));
check(
  !existsSync(join(dirname(work), 'node_modules')),
  `the scratch folder ${work} sees no node_modules above it`,
);
const project = join(work, 'project');

step('npm pack both packages');
for (const workspace of ['packages/cloakroom', 'packages/app']) {
  if (!existsSync(join(root, workspace, 'dist')))
    throw new Error(`${workspace}/dist is missing: npm run build first`);
}
const packed = JSON.parse(
  execFileSync(
    'npm',
    ['pack', '--json', '--pack-destination', work, '-w', 'cloakroom', '-w', '@cloakroom/app'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  ),
);
const tarballs = {};
for (const entry of packed) {
  tarballs[entry.name] = join(work, entry.filename);
  console.log(
    `${entry.name}: ${entry.filename}, ${kib(entry.size)} packed, ${kib(entry.unpackedSize)} unpacked, ${String(entry.entryCount)} files`,
  );
  const paths = entry.files.map((file) => file.path);
  const bad = paths.filter(
    (path) =>
      /^(test|tests|data|src|bench|bench-results|test-results)\/|(^|\/)(test|tests|data)\//.test(path) ||
      /\.test\.|\.tsbuildinfo$|(^|\/)\.env|\.(pem|key|p8|jwk|db|sqlite|log)$|-wal$|session-key/.test(path),
  );
  check(
    bad.length === 0,
    `${entry.name}: no tests, data, sources, secrets or databases in the tarball`,
    bad.join(', '),
  );
}

step('sessions-only user: npm install cloakroom better-sqlite3 (as in docs/getting-started.md)');
execFileSync('mkdir', ['-p', project]);
writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
);
sh('npm', ['install', '--no-audit', '--no-fund', tarballs.cloakroom, pinned('better-sqlite3')], project);
const nodeModules = join(project, 'node_modules');
const sessionsOnly = { packages: countPackages(nodeModules), bytes: dirSize(nodeModules) };
console.log(
  `sessions-only install: ${String(sessionsOnly.packages)} packages, ${mib(sessionsOnly.bytes)} in node_modules ` +
    `(cloakroom tarball ${kib(packed.find((entry) => entry.name === 'cloakroom').size)})`,
);
for (const name of [
  '@cloakroom/app',
  'commander',
  'find-my-way',
  'pino',
  'cli-progress',
  'express',
  'ioredis',
  'pg',
]) {
  check(!existsSync(join(nodeModules, name)), `a sessions-only install pulls in no ${name}`);
}

step('source maps stay inside the package');
const installedLibrary = join(nodeModules, 'cloakroom');
const maps = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (entry.endsWith('.map')) maps.push(path);
  }
};
walk(installedLibrary);
const outside = maps.filter((map) => {
  const data = JSON.parse(readFileSync(map, 'utf8'));
  const missingContent =
    !Array.isArray(data.sourcesContent) || data.sourcesContent.some((text) => text == null);
  const escapes = data.sources.some((source) =>
    relative(installedLibrary, resolve(dirname(map), source)).startsWith('..'),
  );
  return missingContent || escapes;
});
check(
  maps.length > 0 && outside.length === 0,
  `${String(maps.length)} source maps carry their sources and point inside the package`,
  outside.join(', '),
);

step('import every subpath in exports (ESM), and require it (CommonJS)');
const manifest = JSON.parse(readFileSync(join(installedLibrary, 'package.json'), 'utf8'));
const subpaths = Object.keys(manifest.exports)
  .filter((key) => key !== './package.json')
  .map((key) => (key === '.' ? 'cloakroom' : `cloakroom/${key.slice(2)}`));
writeFileSync(
  join(project, 'imports.mjs'),
  `for (const name of ${JSON.stringify(subpaths)}) {\n` +
    `  try { const module = await import(name); console.log('ok - import ' + name + ': ' + Object.keys(module).length + ' exports'); }\n` +
    `  catch (error) { console.log('not ok - import ' + name + ': ' + error.message); process.exitCode = 1; }\n}\n`,
);
const imports = capture('node', ['imports.mjs'], project);
process.stdout.write(imports.stdout + imports.stderr);
check(
  imports.status === 0,
  `all ${String(subpaths.length)} subpaths import without the optional peers installed`,
);
const [major, minor] = process.versions.node.split('.').map(Number);
const requireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
writeFileSync(
  join(project, 'requires.cjs'),
  `for (const name of ${JSON.stringify(subpaths)}) {\n` +
    `  try { const module = require(name); console.log('ok - require ' + name + ': ' + Object.keys(module).length + ' exports'); }\n` +
    `  catch (error) { console.log('not ok - require ' + name + ': ' + error.code + ' ' + error.message.split('\\n')[0]); process.exitCode = 1; }\n}\n`,
);
const requires = capture('node', ['requires.cjs'], project);
process.stdout.write(requires.stdout + requires.stderr);
if (requireEsm)
  check(requires.status === 0, `require() of every subpath works on Node ${process.versions.node}`);
else
  check(
    /ERR_REQUIRE_ESM/.test(requires.stdout),
    `Node ${process.versions.node} has no require(esm): a clear ERR_REQUIRE_ESM`,
  );

step('developer tools and Express, as a user adds them (docs/getting-started.md)');
sh(
  'npm',
  [
    'install',
    '--no-audit',
    '--no-fund',
    '--save-dev',
    pinned('tsx'),
    pinned('typescript'),
    pinned('@types/node'),
    pinned('@types/better-sqlite3'),
    pinned('@types/express'),
  ],
  project,
);
sh('npm', ['install', '--no-audit', '--no-fund', pinned('express')], project);

step('type-check a strict TypeScript consumer under moduleResolution node16 and bundler');
// Importing every subpath is what a user of every backend does: the drivers' types come with them.
sh(
  'npm',
  [
    'install',
    '--no-audit',
    '--no-fund',
    '--save-dev',
    pinned('@types/pg'),
    pinned('@types/memjs'),
    pinned('ioredis'),
    pinned('@aws-sdk/client-dynamodb'),
    // The framework adapters' types come from the frameworks themselves (optional peers).
    pinned('fastify'),
    pinned('hono'),
  ],
  project,
);
const guide = docFiles('docs/getting-started.md');
for (const [file, text] of guide) writeFileSync(join(project, file), text);
writeFileSync(
  join(project, 'all-subpaths.ts'),
  subpaths.map((name, index) => `import * as m${String(index)} from '${name}';`).join('\n') +
    `\nexport const loaded: object[] = [${subpaths.map((_, index) => `m${String(index)}`).join(', ')}];\n`,
);
const strict = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noEmit: true,
  skipLibCheck: false,
  types: ['node'],
};
const configs = {
  node16: { ...strict, module: 'node16', moduleResolution: 'node16', target: 'es2022' },
  bundler: { ...strict, module: 'esnext', moduleResolution: 'bundler', target: 'es2022' },
};
for (const [name, compilerOptions] of Object.entries(configs)) {
  writeFileSync(
    join(project, `tsconfig.${name}.json`),
    JSON.stringify({ compilerOptions, files: ['all-subpaths.ts', ...guide.keys()] }, null, 2),
  );
  const result = capture('npx', ['tsc', '-p', `tsconfig.${name}.json`], project);
  check(
    result.status === 0,
    `tsc (moduleResolution ${name}, strict): ${['all-subpaths.ts', ...guide.keys()].join(', ')}`,
    result.stdout + result.stderr,
  );
}

step("run docs/getting-started.md's Express and node:http apps and sign in through them");
const sessionKey = execFileSync(
  'node',
  ['-e', "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"],
  { encoding: 'utf8' },
).trim();
for (const file of guide.keys()) {
  const port = await freePort();
  const origin = `http://localhost:${String(port)}`;
  const env = { SESSION_KEY: sessionKey, PORT: String(port), ORIGIN: origin };
  const app = spawn('npx', ['tsx', file], {
    cwd: project,
    env: { ...process.env, ...env },
    stdio: 'inherit',
    detached: true, // see stop()
  });
  console.log(`$ npx tsx ${file} &`);
  try {
    let login;
    for (let attempt = 0; attempt < 100 && login === undefined; attempt += 1) {
      try {
        login = await fetch(`http://127.0.0.1:${String(port)}/login`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'ada' }),
        });
      } catch {
        await new Promise((done) => setTimeout(done, 200));
      }
    }
    const cookie = login?.headers.get('set-cookie')?.split(';')[0] ?? '';
    check(
      login?.status === 200 && cookie !== '',
      `${file}: POST /login signs in and sets the cookie`,
      String(login?.status),
    );
    const me = await fetch(`http://127.0.0.1:${String(port)}/me`, { headers: { cookie } });
    const body = await me.json();
    check(
      me.status === 200 && body.user?.id === 'ada',
      `${file}: GET /me with the cookie answers the user`,
      JSON.stringify(body),
    );
    const anonymous = await fetch(`http://127.0.0.1:${String(port)}/me`);
    check(anonymous.status === 401, `${file}: GET /me without it answers 401`);
  } finally {
    await stop(app);
  }
}

step('the application: npm install @cloakroom/app (the cloakroom command)');
sh('npm', ['install', '--no-audit', '--no-fund', tarballs.cloakroom, tarballs['@cloakroom/app']], project);
check(
  JSON.parse(readFileSync(join(nodeModules, 'cloakroom', 'package.json'), 'utf8')).description ===
    manifest.description,
  'the app uses the packed library, not a registry package of the same name',
);
const help = capture('npx', ['cloakroom', '--help'], project);
check(help.status === 0 && /Usage: cloakroom/.test(help.stdout), 'npx cloakroom --help', help.stderr);
const benchHelp = capture('npx', ['cloakroom', 'bench', '--help'], project);
check(
  benchHelp.status === 0 && /Usage: cloakroom bench/.test(benchHelp.stdout),
  'npx cloakroom bench --help',
  benchHelp.stderr,
);

const port = await freePort();
const dataDir = join(work, 'data');
const serveEnv = { PORT: String(port), CLOAKROOM_DATA_DIR: dataDir, CLOAKROOM_LOG_LEVEL: 'warn' };
const site = await startProcess('npx', ['cloakroom', 'serve'], project, serveEnv, /Cloakroom is running at/);
try {
  const base = `http://127.0.0.1:${String(port)}`;
  const home = await fetch(`${base}/`, { redirect: 'follow' });
  const html = await home.text();
  check(
    home.status === 200 && /<html/i.test(html),
    `npx cloakroom serve: GET / answers a page (${String(home.status)})`,
  );
  const assets = [
    ...new Set([...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((match) => match[1])),
  ];
  check(assets.length > 0, `the page links its assets: ${assets.join(', ')}`);
  for (const asset of assets) {
    const answer = await fetch(base + asset);
    check(
      answer.status === 200 && (await answer.arrayBuffer()).byteLength > 0,
      `GET ${asset} answers 200 (${answer.headers.get('content-type') ?? ''})`,
    );
  }
  for (const page of ['/sign-in', '/register']) {
    const answer = await fetch(base + page);
    check(answer.status === 200, `GET ${page} answers 200`);
  }
  const health = await fetch(`${base}/healthz`);
  check(health.status === 200, 'GET /healthz answers 200');
} finally {
  await stop(site.child);
}

step('npx cloakroom inspect on a token');
const tokenScript = `import { SignJWT } from 'jose';
const token = await new SignJWT({ sub: 'ada' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h')
  .sign(new TextEncoder().encode('consumer test secret, not a real one, 32+ bytes'));
process.stdout.write(token);`;
writeFileSync(join(project, 'token.mjs'), tokenScript);
const token = capture('node', ['token.mjs'], project).stdout;
const inspect = spawnSync('npx', ['cloakroom', 'inspect'], { cwd: project, input: token, encoding: 'utf8' });
check(
  inspect.status !== null &&
    inspect.status <= 1 &&
    /HS256/.test(inspect.stdout) &&
    noStackTrace(inspect.stderr),
  `npx cloakroom inspect < token: a report (exit ${String(inspect.status)})`,
  inspect.stderr,
);

step('a missing optional backend: one line naming the package, never a stack trace');
sh('npm', ['uninstall', '--no-audit', '--no-fund', 'ioredis'], project);
for (const [variable, value, name] of [
  ['CLOAKROOM_STORE', 'redis://127.0.0.1:6379', 'ioredis'],
  ['CLOAKROOM_DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test', 'pg'],
]) {
  const result = capture('npx', ['cloakroom', 'serve'], project, {
    ...serveEnv,
    PORT: String(await freePort()),
    [variable]: value,
  });
  const lines = result.stderr.trim().split('\n');
  console.log(
    `  ${variable}=… npx cloakroom serve -> exit ${String(result.status)}: ${result.stderr.trim()}`,
  );
  check(
    result.status === 1 && lines.length === 1 && lines[0].includes(`npm install ${name}`),
    `without ${name}: one line that says npm install ${name}`,
  );
}
const clients = capture('npx', ['cloakroom', 'clients', 'list'], project, {
  ...serveEnv,
  CLOAKROOM_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
});
check(
  clients.status === 1 &&
    clients.stderr.trim().split('\n').length === 1 &&
    clients.stderr.includes('npm install pg'),
  'cloakroom clients list without pg: one line that says npm install pg',
  clients.stderr,
);
const bench = capture(
  'npx',
  ['cloakroom', 'bench', '--quick', '--sections', 'sizes', '--out', join(work, 'bench')],
  project,
);
check(
  bench.status === 0 && noStackTrace(bench.stderr),
  'cloakroom bench --sections sizes runs without the bench peers (they are skipped with a notice)',
  bench.stderr.slice(-2000),
);
console.log(
  bench.stdout
    .split('\n')
    .filter((line) => /not installed|skipped/i.test(line))
    .join('\n'),
);

console.log(`\n# consumer test: ${failures === 0 ? 'PASS' : `FAIL (${String(failures)} failed)`}`);
if (!keep && failures === 0) rmSync(work, { recursive: true, force: true });
else console.log(`# scratch project kept in ${work}`);
process.exit(failures === 0 ? 0 : 1);
