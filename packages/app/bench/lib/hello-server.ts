/**
 * The baseline for `npm run bench:app`: a bare `node:http` hello world in its own process, forked by
 * bench/app.ts (and bench/writes.ts) with an IPC channel. It listens on a free loopback port and sends
 * `{ type: 'ready', url }`; it answers `{ type: 'cpu' }` with its CPU time so far, and exits on
 * `{ type: 'stop' }`, SIGINT, SIGTERM or when the parent goes away.
 *
 * `CLOAKROOM_BENCH_WRITES=immediate` ends each answer at once; otherwise the answers of one event-loop turn
 * end together, as the reference site's do, so both are measured writing the same way.
 * `HELLO_SPIN_MICROS=N` (bench/writes.ts) makes each request burn N µs of CPU first: a known amount of work.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EndBatch } from '../../src/app/http/end-batch.js';

const body = Buffer.from('hello world');
const batch = process.env.CLOAKROOM_BENCH_WRITES === 'immediate' ? null : new EndBatch();
const spinNanos = BigInt(Math.round(Number(process.env.HELLO_SPIN_MICROS ?? '0') * 1000));

const server = createServer((_req, res) => {
  if (spinNanos > 0n) {
    const until = process.hrtime.bigint() + spinNanos;
    while (process.hrtime.bigint() < until);
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
  if (batch === null) res.end(body);
  else batch.end(res, body);
});
// The same keep-alive window as the reference site, so both are measured on the same terms.
server.keepAliveTimeout = 5_000;

await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const url = `http://127.0.0.1:${port}`;

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
}

process.on('message', (message: { type?: string }) => {
  if (message.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
  else if (message.type === 'stop') stop();
});
process.on('disconnect', stop);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

if (process.send === undefined) {
  console.log(url);
} else {
  process.send({ type: 'ready', url, origin: url });
}
