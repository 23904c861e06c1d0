/**
 * The baseline for `npm run bench:app`: a bare `node:http` hello world in its own process, forked by
 * bench/app.ts with an IPC channel. It listens on a free loopback port and sends `{ type: 'ready', url }`;
 * it answers `{ type: 'cpu' }` with its CPU time so far, and exits on `{ type: 'stop' }`, SIGINT, SIGTERM
 * or when the parent goes away.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from('hello world');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
  res.end(body);
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
