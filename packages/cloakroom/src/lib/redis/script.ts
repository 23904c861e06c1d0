import { createHash } from 'node:crypto';
import type { RedisClient } from './client.js';

/** A Lua script with its SHA-1, as `runScript` sends it. */
export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
  /**
   * Sent as `EVAL` every time (the script's text; Redis caches it by its SHA-1) rather than `EVALSHA` with
   * an `EVAL` retry on `NOSCRIPT`: that retry is a round trip later, so a write that hit a server without
   * the script (new, restarted, flushed) could run after a write issued after it — a rotation after the
   * sign-out sent before it, leaving a live successor. Writes keep their issue order this way; reads, where
   * order does not matter, use `EVALSHA`.
   */
  readonly write?: boolean;
}

/** A script from its Lua text; `write` scripts are always sent whole (see `Script.write`). */
export function defineScript(name: string, lua: string, options: { write?: boolean } = {}): Script {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex'), write: options.write === true };
}

/**
 * Runs a script by its SHA-1, loading it with EVAL when the server does not know it yet (a fresh server, a
 * restart, another Cluster node); a write script always with EVAL, so writes keep their issue order (see
 * `Script.write`). Replies come as Buffers (session records hold raw bytes).
 */
export async function runScript(
  client: RedisClient,
  script: Script,
  keys: readonly string[],
  args: readonly (string | Buffer)[],
): Promise<unknown> {
  const buffers = client as unknown as BufferScripting;
  if (script.write === true) return buffers.evalBuffer(script.lua, keys.length, ...keys, ...args);
  try {
    return await buffers.evalshaBuffer(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return buffers.evalBuffer(script.lua, keys.length, ...keys, ...args);
  }
}

/**
 * ioredis has `evalshaBuffer` and `evalBuffer` (every command has a `…Buffer` twin) but does not declare
 * them. They are used rather than `callBuffer('EVALSHA', …)`, which ioredis 6.0.0 breaks under
 * auto-pipelining: it drops the command name (`autoPipelining.js` puts it back for `call` only).
 */
interface BufferScripting {
  evalshaBuffer(sha: string, numkeys: number, ...args: (string | Buffer)[]): Promise<unknown>;
  evalBuffer(lua: string, numkeys: number, ...args: (string | Buffer)[]): Promise<unknown>;
}
