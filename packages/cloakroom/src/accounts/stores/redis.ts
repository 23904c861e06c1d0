import type { RedisClient } from '../../lib/redis/client.js';
import { defineScript, runScript } from '../../lib/redis/script.js';
import type { AttemptRecord, AttemptStore } from '../types.js';

// One hash per key: f = failures, w = window start, l = last failure (ms). The key expires when its window
// ends, so Redis itself drops finished windows. One key per script: any Cluster slot will do.
const RECORD_FAILURE_LUA = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local current = redis.call('HMGET', KEYS[1], 'f', 'w')
local failures = tonumber(current[1])
local started = current[2]
if failures == nil or not started or tonumber(started) <= now - window then
  failures = 1
  started = ARGV[1]
else
  failures = failures + 1
end
redis.call('HSET', KEYS[1], 'f', failures, 'w', started, 'l', ARGV[1])
local ttl = tonumber(started) + window - now
if ttl < 1 then ttl = 1 end
redis.call('PEXPIRE', KEYS[1], ttl)
return {failures, started, ARGV[1]}
`;

const RECORD_FAILURE = defineScript('recordFailure', RECORD_FAILURE_LUA);

// Takes back one failure while the key's window runs; the key keeps its expiry.
const FORGIVE_FAILURE_LUA = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local current = redis.call('HMGET', KEYS[1], 'f', 'w')
local failures = tonumber(current[1])
local started = tonumber(current[2])
if failures == nil or started == nil or started <= now - window or failures <= 0 then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'f', -1)
return 1
`;

const FORGIVE_FAILURE = defineScript('forgiveFailure', FORGIVE_FAILURE_LUA);

export interface RedisAttemptStoreOptions {
  /** Prefix of every key. Default `cr:`; the keys are `<prefix>a:<key>`. */
  prefix?: string;
}

/**
 * Sign-in throttling counters in Redis, so the limits hold across every process that shares it. Counting is
 * one atomic script; a key expires with its window, so `deleteExpired` has nothing to do (it resolves to 0).
 * Use a client made with `redisClientOptions()`: a Redis that is down then fails fast, which the accounts
 * layer answers with 503 `store_unavailable` (never "let the attempt through").
 */
export class RedisAttemptStore implements AttemptStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: RedisAttemptStoreOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? 'cr:';
  }

  async get(key: string): Promise<AttemptRecord | null> {
    const [failures, started, last] = await this.#client.hmget(this.#key(key), 'f', 'w', 'l');
    if (failures == null || started == null || last == null) return null;
    return { failures: Number(failures), windowStartedAt: Number(started), lastFailureAt: Number(last) };
  }

  async recordFailure(key: string, now: number, windowMs: number): Promise<AttemptRecord> {
    if (!Number.isSafeInteger(now) || !Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new TypeError('now and windowMs must be whole milliseconds');
    }
    const reply = await runScript(
      this.#client,
      RECORD_FAILURE,
      [this.#key(key)],
      [String(now), String(windowMs)],
    );
    const [failures, started, last] = (reply as unknown[]).map((part) => Number(String(part)));
    return { failures: failures ?? 0, windowStartedAt: started ?? now, lastFailureAt: last ?? now };
  }

  async forgiveFailure(key: string, now: number, windowMs: number): Promise<void> {
    if (!Number.isSafeInteger(now) || !Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new TypeError('now and windowMs must be whole milliseconds');
    }
    await runScript(this.#client, FORGIVE_FAILURE, [this.#key(key)], [String(now), String(windowMs)]);
  }

  async clear(key: string): Promise<void> {
    await this.#client.del(this.#key(key));
  }

  /** Nothing to do: each key expires with its window. */
  deleteExpired(_before: number): Promise<number> {
    return Promise.resolve(0);
  }

  #key(key: string): string {
    return `${this.#prefix}a:${key}`;
  }
}

export { RedisMfaStore, RedisPendingSignInStore, type RedisMfaOptions } from '../mfa/stores/redis.js';
export { RedisPasskeyStore, type RedisPasskeyOptions } from './passkeys/redis.js';
