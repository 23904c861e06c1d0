// The store failure is defined below the stores (lib/), where the store-call wrapper that raises it lives;
// it is the public half of the store contract, so `cloakroom/stores` exports it from here.
export { StoreUnavailableError } from '../lib/store-unavailable.js';
