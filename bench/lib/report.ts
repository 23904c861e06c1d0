// Moved to src/bench/format.ts, where `cloakroom bench` shares it; kept here for the bench:* scripts.
export * from '../../src/bench/format.js';
