import { systemClock, type Clock } from '../clock.js';
import type { UserSnapshotOptions } from './types.js';

/** Where a session's user comes from when the store does not keep a snapshot of it (or has lost one). */
export type LoadUser<U> = (userId: string) => U | null | Promise<U | null>;

/**
 * The options the network key-value stores (Redis, memcached) share: user snapshots kept beside the
 * sessions, the fallback that loads a user, a bound on every reply, and the clock for TTLs.
 */
export interface SnapshotStoreOptions<U> {
  /**
   * Keep a snapshot of each user in the store (written by `setUser`, removed by `deleteUser`) and return it
   * with the session. A session whose snapshot is missing gets `loadUser`'s answer if `loadUser` is given,
   * else no user (the session layer then refuses it as `user_not_found`).
   */
  users?: UserSnapshotOptions<U> | true;
  /** Where the user comes from without snapshots (or when one is missing). Default: `{ id: userId }`. */
  loadUser?: LoadUser<U>;
  /**
   * The longest the store waits for any one reply before failing, whatever the client's own settings (a
   * client with an unbounded offline queue would otherwise wait for ever). Default 2,000 ms.
   */
  timeoutMs?: number;
  /** Time source for TTLs, shared with the session manager in tests. */
  clock?: Clock;
}

/** {@link SnapshotStoreOptions} with their defaults applied and checked. */
export interface SnapshotStoreSettings<U> {
  snapshots: Required<UserSnapshotOptions<U>> | null;
  /** `null` when snapshots are on and no fallback is given: a missing snapshot means no user. */
  loadUser: LoadUser<U> | null;
  timeoutMs: number;
  clock: Clock;
}

/** Applies the defaults; a timeout that is not a positive number is caller misuse (`TypeError`). */
export function snapshotStoreSettings<U>(options: SnapshotStoreOptions<U>): SnapshotStoreSettings<U> {
  const users = options.users === true ? {} : options.users;
  const snapshots =
    users === undefined
      ? null
      : {
          serialize: users.serialize ?? ((user: U) => JSON.stringify(user)),
          parse: users.parse ?? ((value: string) => JSON.parse(value) as U),
        };
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError('timeoutMs must be a positive number');
  }
  return {
    snapshots,
    loadUser: options.loadUser ?? (snapshots === null ? (userId) => ({ id: userId }) as U : null),
    timeoutMs,
    clock: options.clock ?? systemClock,
  };
}
