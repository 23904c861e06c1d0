// The sessions API over real HTTP with the site's sessions in DynamoDB (CLOAKROOM_STORE=dynamodb://…), on
// dynalite, a local DynamoDB emulator started in this process (credentials: dummy ones from the test
// environment, through the SDK's standard chain, as in production; never from the URL).
import { after } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../../../cloakroom/src/stores/dynamodb/index.js';
import { Dynalite } from '../../../../cloakroom/test/helpers/dynalite.js';
import { runSessionsApiSuite } from './sessions-suite.js';

const emulator = new Dynalite();
after(() => emulator.stop());

runSessionsApiSuite('me and sessions API on DynamoDB (dynalite)', async () => {
  await emulator.start();
  const client = new DynamoDBClient(emulator.clientConfig());
  try {
    await createTable(client, { table: 'cr-site-sessions' });
  } finally {
    client.destroy();
  }
  return {
    CLOAKROOM_STORE: `dynamodb://cr-site-sessions?region=us-east-1&endpoint=${encodeURIComponent(emulator.endpoint)}`,
  };
});
