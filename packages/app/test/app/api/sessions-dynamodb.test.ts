// The sessions API over real HTTP with the site's sessions in DynamoDB (CLOAKROOM_STORE=dynamodb://…), on
// dynalite, a local DynamoDB emulator started in this process (credentials: dummy ones from the test
// environment, through the SDK's standard chain, as in production; never from the URL); then again with the
// near-cache in front (CLOAKROOM_NEAR_CACHE=on, evicting over the SQLite file of the data folder).
import { after } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../../../cloakroom/src/stores/dynamodb/index.js';
import { Dynalite } from '../../../../cloakroom/test/helpers/dynalite.js';
import { runSessionsApiSuite } from './sessions-suite.js';

const emulator = new Dynalite();
after(() => emulator.stop());

async function siteOn(table: string, env: Record<string, string> = {}): Promise<Record<string, string>> {
  if (emulator.port === 0) await emulator.start();
  const client = new DynamoDBClient(emulator.clientConfig());
  try {
    await createTable(client, { table });
  } finally {
    client.destroy();
  }
  const endpoint = encodeURIComponent(emulator.endpoint);
  return { CLOAKROOM_STORE: `dynamodb://${table}?region=us-east-1&endpoint=${endpoint}`, ...env };
}

runSessionsApiSuite('me and sessions API on DynamoDB (dynalite)', () => siteOn('cr-site-sessions'));
runSessionsApiSuite('me and sessions API on DynamoDB (dynalite) with the near-cache', () =>
  siteOn('cr-site-cached', { CLOAKROOM_NEAR_CACHE: 'on' }),
);
