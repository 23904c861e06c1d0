import { DynamoDBStore, dynamoDBClientOptions } from 'cloakroom/stores/dynamodb';
import type { DynamoDBLocation } from './config.js';
import type { AppUser } from './http/env.js';
import { importBackend } from './optional.js';

/** The site's sessions in DynamoDB (`CLOAKROOM_STORE=dynamodb://…`), with what the site needs around them. */
export interface DynamoDBSessions {
  store: DynamoDBStore<AppUser>;
  /** The health check: a strongly consistent read of an item that never exists (half a read unit). */
  check: () => Promise<unknown>;
  close: () => void;
}

/**
 * Opens the table named by the URL with the SDK's standard credential chain (never credentials from the
 * URL), bounded retries and timeouts (`dynamoDBClientOptions`), and checks that the table exists, so a
 * missing one stops the site at start-up with the command that makes it.
 */
export async function openDynamoDBSessions(
  location: DynamoDBLocation,
  loadUser: (userId: string) => Promise<AppUser | null>,
): Promise<DynamoDBSessions> {
  const sdk = await importBackend<typeof import('@aws-sdk/client-dynamodb')>(
    '@aws-sdk/client-dynamodb',
    'CLOAKROOM_STORE (DynamoDB)',
  );
  const client = new sdk.DynamoDBClient({
    ...dynamoDBClientOptions(),
    ...(location.region === undefined ? {} : { region: location.region }),
    ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint }),
  });
  const store = new DynamoDBStore<AppUser>(client, { table: location.table, loadUser });
  const check = () =>
    client.send(
      new sdk.GetItemCommand({
        TableName: location.table,
        Key: { pk: { S: 'health#' } },
        ConsistentRead: true,
      }),
    );
  try {
    await check();
  } catch (error) {
    client.destroy();
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      throw new Error(
        `DynamoDB table ${location.table} does not exist: create it with \`cloakroom stores init dynamodb\``,
        { cause: error },
      );
    }
    throw error;
  }
  return {
    store,
    check,
    close: () => {
      client.destroy();
    },
  };
}
