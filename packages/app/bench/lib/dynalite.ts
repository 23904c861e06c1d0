/**
 * dynalite, a local DynamoDB emulator (LevelDB in memory, from npm), run as a child process on a free
 * loopback port for `bench:stores`, so its own work does not share the benchmark's event loop. Its figures
 * are the emulator's, on this machine: never AWS's latency (a GetItem in a region takes a few ms over the
 * network; docs/stores.md). DYNAMODB_ENDPOINT points the benchmark at another DynamoDB (DynamoDB Local, say).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';

export interface RunningDynamoDB {
  endpoint: string;
  /** What the endpoint is, for the report. */
  label: string;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startDynamoDB(): Promise<RunningDynamoDB> {
  const given = process.env.DYNAMODB_ENDPOINT;
  if (given !== undefined && given !== '') {
    return { endpoint: given, label: `DynamoDB at ${given}`, stop: () => Promise.resolve() };
  }
  // The emulator accepts any credentials; the SDK's chain reads these (never real keys here).
  process.env.AWS_ACCESS_KEY_ID ??= 'cloakroom-bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'cloakroom-bench';
  process.env.AWS_REGION ??= 'us-east-1';
  const cli = createRequire(import.meta.url).resolve('dynalite/cli.js');
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0'],
    { stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 100 && !(await answers(port)); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!(await answers(port))) {
    child.kill();
    throw new Error('dynalite did not start within 5 s');
  }
  const version = (createRequire(import.meta.url)('dynalite/package.json') as { version: string }).version;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    label: `dynalite ${version} (a local emulator in a child process: not AWS latency)`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}
