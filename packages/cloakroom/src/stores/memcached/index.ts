export { MemcachedStore, type MemcachedStoreOptions, type MemcachedUserSnapshots } from './store.js';
export { memcachedClientOptions, type MemcachedClient } from './client.js';
