export { RedisRefreshTokenStore, type RedisIssuerStoreOptions } from './refresh.js';
export { RedisClientStore } from './clients.js';
