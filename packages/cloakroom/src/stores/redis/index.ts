export { RedisStore, type RedisStoreOptions, type RedisUserSnapshots } from './store.js';
export { redisClientOptions, redisClusterOptions, type RedisClient } from '../../lib/redis/client.js';
