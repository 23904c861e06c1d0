export type {
  ImmediateRead,
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from './types.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { storeCall, storeFailure } from '../session/store-call.js';
export { StoreUnavailableError } from './errors.js';
