// The in-memory issuer stores against the issuer-store conformance suite.
import { MemoryClientStore, MemoryRefreshTokenStore } from '../../../src/tokens/issuer/stores/memory.js';
import { runIssuerStoreConformance } from './conformance.js';

runIssuerStoreConformance('memory issuer stores', () =>
  Promise.resolve({
    refresh: new MemoryRefreshTokenStore(),
    clients: new MemoryClientStore(),
    close: () => Promise.resolve(),
  }),
);
