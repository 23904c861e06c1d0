import type { Counter, Histogram, Metrics } from './types.js';

const noopCounter: Counter = { inc: () => {} };
const noopHistogram: Histogram = { observe: () => {} };

/**
 * Metrics that go nowhere: what every component records to when it is given none. Components test for
 * "no metrics" once, when built, so the default costs nothing per operation.
 */
export const noopMetrics: Metrics = {
  counter: () => noopCounter,
  histogram: () => noopHistogram,
};
