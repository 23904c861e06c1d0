import type { TableDescription } from '@aws-sdk/client-dynamodb';
import type { DynamoDBSender } from './client.js';
import { loadSdk, type DynamoDBModule } from './sdk.js';

/** The name of the global secondary index on `userId` that `createTable` makes. */
export const USER_INDEX = 'byUser';

export interface CreateTableOptions {
  table: string;
  /** Default `byUser`. */
  indexName?: string;
  /**
   * Default `PAY_PER_REQUEST` (on-demand). With `PROVISIONED`, give `capacity` (applied to the table and
   * the index alike).
   */
  billingMode?: 'PAY_PER_REQUEST' | 'PROVISIONED';
  capacity?: { read: number; write: number };
  /** The longest to wait for the table to become ACTIVE. Default 60,000 ms. */
  waitMs?: number;
}

export interface CreateTableResult {
  /** `false` when the table already existed (with the expected key and index: anything else throws). */
  created: boolean;
  /**
   * Whether DynamoDB's TTL on `ttl` is on: `enabled`, or `unsupported` on an emulator without the
   * UpdateTimeToLive operation (dynalite): expired sessions then stay until `deleteExpired` removes them.
   */
  ttl: 'enabled' | 'unsupported';
}

/**
 * Creates the store's table if it does not exist (idempotent), waits for it to be ACTIVE, and turns on
 * TTL on the `ttl` attribute. The layout, for infrastructure code (CloudFormation, CDK, Terraform):
 *
 * - partition key `pk` (S), no sort key;
 * - global secondary index `byUser`: partition key `userId` (S), projection KEYS_ONLY (a renewal changes no
 *   key, so it costs no index write);
 * - TTL attribute `ttl`.
 *
 * @example
 * ```ts
 * const client = new DynamoDBClient(dynamoDBClientOptions());
 * const { created, ttl } = await createTable(client, { table: 'sessions' });
 * ```
 */
export async function createTable(
  client: DynamoDBSender,
  options: CreateTableOptions,
): Promise<CreateTableResult> {
  const table = options.table;
  const indexName = options.indexName ?? USER_INDEX;
  const billingMode = options.billingMode ?? 'PAY_PER_REQUEST';
  const throughput =
    billingMode === 'PROVISIONED'
      ? {
          ReadCapacityUnits: units(options.capacity?.read),
          WriteCapacityUnits: units(options.capacity?.write),
        }
      : undefined;
  const sdk = await loadSdk();
  let created = true;
  try {
    await client.send(
      new sdk.CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'userId', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: indexName,
            KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
            ProvisionedThroughput: throughput,
          },
        ],
        BillingMode: billingMode,
        ProvisionedThroughput: throughput,
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    created = false;
  }
  const description = await waitActive(client, sdk, table, options.waitMs ?? 60_000);
  checkLayout(description, indexName);
  try {
    await client.send(
      new sdk.UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    );
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'UnknownOperationException') return { created, ttl: 'unsupported' };
    // Turning TTL on twice is refused ("TimeToLive is already enabled"): it is on.
    if (!(name === 'ValidationException' && /already enabled/i.test((error as Error).message))) throw error;
  }
  return { created, ttl: 'enabled' };
}

async function waitActive(
  client: DynamoDBSender,
  sdk: DynamoDBModule,
  table: string,
  waitMs: number,
): Promise<TableDescription> {
  const until = Date.now() + waitMs;
  for (;;) {
    const { Table } = await client.send(new sdk.DescribeTableCommand({ TableName: table }));
    const index = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && index.every((i) => i.IndexStatus !== 'CREATING')) return Table;
    if (Date.now() > until) throw new Error(`table ${table} is not ACTIVE after ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function checkLayout(table: TableDescription, indexName: string): void {
  const key = table.KeySchema ?? [];
  const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === indexName);
  if (
    key.length !== 1 ||
    key[0]?.AttributeName !== 'pk' ||
    index?.KeySchema?.[0]?.AttributeName !== 'userId'
  ) {
    throw new Error(
      `table ${String(table.TableName)} exists with another layout: the store needs partition key pk and an index ${indexName} on userId`,
    );
  }
}

function units(value: number | undefined): number {
  if (value === undefined || !Number.isInteger(value) || value < 1) {
    throw new TypeError('PROVISIONED billing needs capacity.read and capacity.write (positive integers)');
  }
  return value;
}
