import { Command, InvalidArgumentError, Option } from 'commander';
import { createTable, dynamoDBClientOptions } from 'cloakroom/stores/dynamodb';
import { ConfigError, parseDynamoDBUrl, type DynamoDBLocation } from '../app/config.js';
import { importBackend } from '../app/optional.js';

function capacity(value: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError('a positive whole number');
  return Number(value);
}

interface DynamoDBInitFlags {
  url?: string;
  read?: number;
  write?: number;
}

/**
 * `cloakroom stores init dynamodb`: creates the DynamoDB store's table, its `byUser` index and its TTL (the
 * layout of docs/stores.md), idempotently. The table, region and endpoint come from `--url` or
 * `CLOAKROOM_STORE` (`dynamodb://<table>?region=<r>&endpoint=<url>`); credentials from the AWS SDK's
 * standard chain, never from the URL.
 */
export function storesCommand(fail: (message: string) => never): Command {
  const stores = new Command('stores').description('Prepare the session stores that need it.');
  const init = stores.command('init').description('Create what a store needs (tables, indexes).');
  init
    .command('dynamodb')
    .description(
      'Create the DynamoDB table (partition key pk), its index byUser (on userId, keys only) and TTL on\n' +
        'the ttl attribute, unless they exist. On-demand billing unless --read and --write are given.\n' +
        'Credentials: the AWS SDK standard chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, an instance or task role).',
    )
    .addOption(
      new Option('--url <url>', 'dynamodb://<table>?region=<r>&endpoint=<url> (default: CLOAKROOM_STORE)'),
    )
    .option('--read <units>', 'provisioned read capacity (with --write)', capacity)
    .option('--write <units>', 'provisioned write capacity (with --read)', capacity)
    .action(async (flags: DynamoDBInitFlags) => {
      const url = flags.url ?? process.env.CLOAKROOM_STORE;
      if (url === undefined || !url.startsWith('dynamodb:')) {
        fail('give --url dynamodb://<table>?region=<r>&endpoint=<url>, or set CLOAKROOM_STORE to one');
      }
      if ((flags.read === undefined) !== (flags.write === undefined)) {
        fail('--read and --write go together (provisioned capacity), or neither (on-demand)');
      }
      let location: DynamoDBLocation;
      try {
        location = parseDynamoDBUrl(url);
      } catch (error) {
        if (error instanceof ConfigError) fail(error.message.replace('CLOAKROOM_STORE', 'the URL'));
        throw error;
      }
      const sdk = await importBackend<typeof import('@aws-sdk/client-dynamodb')>(
        '@aws-sdk/client-dynamodb',
        'cloakroom stores init dynamodb',
      );
      const client = new sdk.DynamoDBClient({
        ...dynamoDBClientOptions({ requestTimeoutMs: 5000 }),
        ...(location.region === undefined ? {} : { region: location.region }),
        ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint }),
      });
      try {
        const result = await createTable(client, {
          table: location.table,
          ...(flags.read === undefined || flags.write === undefined
            ? {}
            : { billingMode: 'PROVISIONED' as const, capacity: { read: flags.read, write: flags.write } }),
        });
        console.log(
          result.created
            ? `Created DynamoDB table ${location.table}: partition key pk, index byUser on userId.`
            : `DynamoDB table ${location.table} already exists with the expected layout.`,
        );
        console.log(
          result.ttl === 'enabled'
            ? 'TTL is on for the ttl attribute.'
            : 'TTL: this endpoint has no UpdateTimeToLive (an emulator?): expired sessions stay until a sweep.',
        );
      } catch (error) {
        // The SDK's message names the failure (AccessDenied, ResourceInUse…); never a credential.
        fail(
          `could not create the table: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}`,
        );
      } finally {
        client.destroy();
      }
    });
  return stores;
}
