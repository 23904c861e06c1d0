export { CachedStore, type CachedStoreOptions } from './store.js';
export { InvalidationPublishError } from './errors.js';
export type { InvalidationEvent, InvalidationHandler, Invalidator } from './invalidator.js';
export type { InvalidationMessage } from './message.js';
export { LocalInvalidator } from './local.js';
export { RedisInvalidator, type RedisInvalidatorOptions } from './redis.js';
export { PostgresInvalidator, type PostgresInvalidatorOptions } from './postgres.js';
export { SqliteInvalidator, type SqliteInvalidatorOptions } from './sqlite.js';
