// dynalite (a DynamoDB emulator on LevelDB, from npm) started inside the test process on a loopback port, so
// the DynamoDB store's tests need no service of the machine: every test file gets its own server on a free
// port, or on a given one to come back after a stop. It is an emulator: right for the API's semantics
// (conditions, indexes, errors), never for AWS's latency. It has no transactions and no UpdateTimeToLive.
import { createRequire } from 'node:module';
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  /** A LevelDB folder, so data survives a stop and a start; in memory without it. */
  path?: string;
}

const dynalite = createRequire(import.meta.url)('dynalite') as (options: DynaliteOptions) => Server;

// The SDK's default credential chain reads these; the emulator accepts any. Never real keys in tests.
process.env.AWS_ACCESS_KEY_ID ??= 'cloakroom-test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'cloakroom-test';
process.env.AWS_REGION ??= 'us-east-1';

export class Dynalite {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(readonly options: { path?: string } = {}) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts on `port` (0: any free one, the first time; the same one again after a stop). */
  async start(port: number = this.port): Promise<this> {
    const server = dynalite({
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      path: this.options.path,
    });
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stops at once: every open connection is cut, as when the service dies. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null) return;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }

  /** Client settings for this emulator (region and credentials from the environment set above). */
  clientConfig(extra: DynamoDBClientConfig = {}): DynamoDBClientConfig {
    return { endpoint: this.endpoint, ...extra };
  }
}
