/**
 * The server under test for `npm run bench:app`: the real reference site (startServer, production argon2
 * parameters, silent logger) in its own process, forked by bench/app.ts with an IPC channel.
 *
 * Usage: `node --import tsx bench/lib/app-server.ts <data dir>`. It listens on a free loopback port whose
 * origin it also trusts, then sends `{ type: 'ready', url, origin }`; it answers `{ type: 'cpu' }` with its
 * CPU time so far, and closes the site and exits on `{ type: 'stop' }`, SIGINT, SIGTERM or when the parent
 * goes away (a clean exit, so `--cpu-prof` writes its profile).
 */
import { createServer } from 'node:net';
import { pino } from 'pino';
import { configFromEnv } from '../../src/app/config.js';
import { startServer } from '../../src/app/server.js';

const dataDir = process.argv[2];
if (dataDir === undefined || dataDir === '') {
  console.error('usage: app-server.ts <data dir>');
  process.exit(2);
}

/** A free loopback port (there is a small race between closing the probe and the site listening on it). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const port = await freePort();
const config = configFromEnv({
  PORT: String(port),
  HOST: '127.0.0.1',
  CLOAKROOM_DATA_DIR: dataDir,
  CLOAKROOM_ORIGIN: `http://127.0.0.1:${port}`,
  // `CLOAKROOM_NEAR_CACHE=on npm run bench:app` measures the site with its near-cache over SQLite.
  CLOAKROOM_NEAR_CACHE: process.env.CLOAKROOM_NEAR_CACHE,
});
// No hasher option: the production argon2id parameters (they only matter at registration here).
const running = await startServer(config, { log: pino({ level: 'silent' }) });

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 5_000).unref();
  running.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('app-server: close failed:', error);
      process.exit(1);
    },
  );
}

process.on('message', (message: { type?: string }) => {
  if (message.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
  else if (message.type === 'stop') stop();
});
process.on('disconnect', stop);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

if (process.send === undefined) {
  console.log(running.url);
} else {
  process.send({ type: 'ready', url: running.url, origin: config.origin });
}
