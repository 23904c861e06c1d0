// Moved to src/bench/measure.ts, where `cloakroom bench` shares it; kept here for the bench:* scripts.
export * from '../../src/bench/measure.js';
