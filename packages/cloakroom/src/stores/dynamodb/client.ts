import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * The part of a `DynamoDBClient` the store uses: `send`. Tests wrap it to count round trips; anything with
 * the same `send` (a client with middleware of yours, an X-Ray-wrapped one) fits.
 */
export type DynamoDBSender = Pick<DynamoDBClient, 'send'>;

/**
 * The client settings the store expects, so a DynamoDB that throttles, is slow or unreachable answers
 * `store_unavailable` (503) within a bounded time instead of after the SDK's default retries (3 attempts
 * with exponential backoff, and no request timeout at all):
 *
 * - `maxAttempts` (default 2): one retry, for the throttling and transient 5xx answers the SDK retries;
 *   the store's own `timeoutMs` ends the whole call (retries included) in any case;
 * - `requestHandler.requestTimeout` (default 500 ms): a request with no reply is abandoned;
 * - `requestHandler.connectionTimeout` (default 1 s): so is a connection attempt that hangs.
 *
 * Credentials and region come from the SDK's standard chain (environment, shared config, instance or task
 * role); never put them in a URL or in code. Spread your own settings (`region`, `endpoint`, …) over these.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { DynamoDBStore, dynamoDBClientOptions } from 'cloakroom/stores/dynamodb';
 * const client = new DynamoDBClient({ ...dynamoDBClientOptions(), region: 'eu-west-1' });
 * const store = new DynamoDBStore(client, { table: 'sessions' });
 * ```
 */
export function dynamoDBClientOptions(
  options: { requestTimeoutMs?: number; connectTimeoutMs?: number; maxAttempts?: number } = {},
): DynamoDBClientConfig {
  const requestTimeout = positive(options.requestTimeoutMs ?? 500, 'requestTimeoutMs');
  const connectionTimeout = positive(
    options.connectTimeoutMs ?? Math.max(1000, 2 * requestTimeout),
    'connectTimeoutMs',
  );
  const maxAttempts = options.maxAttempts ?? 2;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new TypeError('maxAttempts must be a positive integer');
  }
  return { maxAttempts, requestHandler: { requestTimeout, connectionTimeout } };
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}
