// The Redis servers the issuer-store tests run on: a single server (127.0.0.1:6379, REDIS_URL overrides) and
// the test Redis Cluster (127.0.0.1:7100-7102, REDIS_CLUSTER_NODES overrides). Each run uses its own key
// prefix and removes its own keys (SCAN, tests only; never FLUSHDB). A server that does not answer skips
// its suite with a visible message, except on CI (CI=true), where that is a failure.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { redisClientOptions, redisClusterOptions } from '../../../src/stores/redis/client.js';

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const clusterNodes = (process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7100,127.0.0.1:7101,127.0.0.1:7102')
  .split(',')
  .map((address) => {
    const [host = '', port = ''] = address.trim().split(':');
    return { host, port: Number(port) };
  });
const runId = randomBytes(6).toString('base64url');
let prefixes = 0;

/** A key prefix of its own for one store under test. */
export const newPrefix = () => `cr-test:issuer:${runId}:${++prefixes}:`;

/** A connected single-server client with the recommended options. */
export async function connectRedis(): Promise<Redis> {
  const client = new Redis({ host: url.hostname, port: Number(url.port || 6379), ...redisClientOptions() });
  await ready(client);
  return client;
}

/** A connected Cluster client with the recommended options. */
export async function connectCluster(): Promise<Cluster> {
  const client = new Cluster(clusterNodes, redisClusterOptions());
  await ready(client);
  return client;
}

function ready(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('not ready within 5 s'));
    }, 5000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function probe(connect: () => Promise<Redis | Cluster>): Promise<string | null> {
  let client: Redis | Cluster | undefined;
  try {
    client = await connect();
    await client.set(`${newPrefix()}probe`, '1', 'PX', 1000);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client?.disconnect();
  }
}

const single = await probe(connectRedis);
const cluster = await probe(connectCluster);

function describeIf(unreachable: string | null, what: string, name: string, body: () => void): void {
  if (unreachable === null) {
    describe(name, body);
    return;
  }
  const reason = `${what} not reachable: ${unreachable}`;
  if (process.env.CI === 'true') {
    test(`${name}: ${what} must be reachable on CI`, () => {
      assert.fail(reason);
    });
    return;
  }
  console.warn(`# SKIPPED ${name}: ${reason} (set CI=true to make this a failure)`);
  test(name, { skip: reason }, () => undefined);
}

/** `describe` when the single Redis server answers; otherwise skipped with the reason, or failing on CI. */
export const describeRedis = (name: string, body: () => void) =>
  describeIf(single, `Redis at ${url.host}`, name, body);

/** `describe` when the Redis Cluster answers; otherwise skipped with the reason, or failing on CI. */
export const describeRedisCluster = (name: string, body: () => void) =>
  describeIf(cluster, 'the Redis Cluster', name, body);

/** Removes every key under `prefix` (SCAN on every master: tests only). */
export async function removeKeys(client: Redis | Cluster, prefix: string): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) await node.unlink(key);
    } while (cursor !== '0');
  }
}
