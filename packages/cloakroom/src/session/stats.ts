import type { SessionCounts } from '../stores/index.js';
import type { SessionConfig } from './config.js';
import { storeCall } from '../lib/store-call.js';

/**
 * How many sessions the store holds, live and expired awaiting a sweep, at the config clock's now; `null` when
 * the store cannot count (no index, or an index without the `counter` ability: DynamoDB, Memcached). The
 * one place that checks for the ability.
 */
export async function countSessions<U>(config: SessionConfig<U>): Promise<SessionCounts | null> {
  const counter = config.store.index?.counter;
  if (counter === undefined) return null;
  const now = config.clock.now();
  return storeCall('countSessions', () => counter.countSessions(now));
}
