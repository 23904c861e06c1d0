export { DynamoDBStore, type DynamoDBStoreOptions, type DynamoDBUserSnapshots } from './store.js';
export { dynamoDBClientOptions, type DynamoDBSender } from './client.js';
export { createTable, type CreateTableOptions, type CreateTableResult, USER_INDEX } from './table.js';
