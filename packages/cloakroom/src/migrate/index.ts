export { createMigration, Migration, type LegacyIdentity, type MigrationOptions } from './migration.js';
export { jwtSource, LEGACY_JWT_ALGORITHMS, type JwtSourceOptions, type LegacyJwtAlgorithm } from './jwt.js';
export {
  expressSessionSource,
  type ExpressSessionSourceOptions,
  type ExpressSessionStoreLike,
} from './express-session.js';
export { ironSessionSource, type IronSessionSourceOptions } from './iron-session.js';
export { MemoryMigrationStore } from './stores/memory.js';
export { readLegacyCookie, clearLegacyCookie, readBearer } from './cookie.js';
export type {
  FoundCredential,
  LegacyCookie,
  LegacyRefusalReason,
  LegacySource,
  MigrationStore,
  VerifiedCredential,
  VerifyResult,
} from './types.js';
