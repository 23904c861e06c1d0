export type {
  ImmediateRead,
  SessionCounter,
  SessionCounts,
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from './types.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { storeCall, storeFailure } from '../lib/store-call.js';
export { StoreUnavailableError } from './errors.js';
export { MAX_AMR_VALUES, checkAmr } from './auth-fields.js';
