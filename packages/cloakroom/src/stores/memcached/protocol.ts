import type { MemcachedClient } from './client.js';

/**
 * The few memcached binary-protocol commands the store needs, sent through memjs's own connections (its
 * `perform`: server choice, SASL, per-request timeouts, retries, reconnection) but built here, because memjs's
 * `get`/`set`/`replace`/`delete` neither return nor accept the CAS value (its source: "TODO: support …
 * version (CAS)"), and compare-and-set is what keeps a late touch from bringing back a revoked session. The
 * client's `serializer`, if any, is bypassed: the store's values are its own bytes.
 */
const Opcode = { Get: 0x00, Set: 0x01, Add: 0x02, Replace: 0x03, Delete: 0x04 } as const;
type Opcode = (typeof Opcode)[keyof typeof Opcode];

const Status = { Ok: 0x00, NotFound: 0x01, Exists: 0x02 } as const;

/** A value and the CAS unique memcached gave its current version. */
export interface CasValue {
  value: Buffer;
  cas: Buffer;
}

/** What a conditional write found: done, no such key, or the key exists / changed meanwhile. */
export type WriteResult = 'stored' | 'missing' | 'exists';

/** memcached reads an expiration above 30 days as an absolute unix time, not a number of seconds. */
export const MAX_RELATIVE_EXPIRATION = 60 * 60 * 24 * 30;

export class BinaryProtocol {
  readonly #client: MemcachedClient;

  constructor(client: MemcachedClient) {
    this.#client = client;
  }

  /** The value and its CAS, or `null` when the key is absent (never stored, deleted, expired or evicted). */
  async get(key: string): Promise<CasValue | null> {
    const response = await this.#perform(Opcode.Get, key, EMPTY, EMPTY, null);
    if (response.status === Status.NotFound) return null;
    if (response.status !== Status.Ok) throw failure(response, 'GET');
    return { value: response.value, cas: response.cas };
  }

  /** Stores `value` unconditionally (memcached `set`). */
  async set(key: string, value: Buffer, expiration: number): Promise<WriteResult> {
    return this.#write(Opcode.Set, key, value, expiration, null, 'SET');
  }

  /** Stores `value` only if `key` is absent (memcached `add`). */
  async add(key: string, value: Buffer, expiration: number): Promise<WriteResult> {
    return this.#write(Opcode.Add, key, value, expiration, null, 'ADD');
  }

  /**
   * Stores `value` only if `key` exists and still has `cas` (memcached `replace` with a CAS): `missing` when it
   * is gone, `exists` when another write changed it since it was read.
   */
  async replaceIfUnchanged(
    key: string,
    value: Buffer,
    expiration: number,
    cas: Buffer,
  ): Promise<WriteResult> {
    return this.#write(Opcode.Replace, key, value, expiration, cas, 'REPLACE');
  }

  /** Deletes `key`, only if it still has `cas` when one is given. */
  async delete(key: string, cas: Buffer | null = null): Promise<WriteResult> {
    const response = await this.#perform(Opcode.Delete, key, EMPTY, EMPTY, cas);
    return outcome(response, 'DELETE');
  }

  async #write(
    opcode: Opcode,
    key: string,
    value: Buffer,
    expiration: number,
    cas: Buffer | null,
    name: string,
  ): Promise<WriteResult> {
    const extras = Buffer.alloc(8); // flags (0), then the expiration
    extras.writeUInt32BE(expiration, 4);
    return outcome(await this.#perform(opcode, key, extras, value, cas), name);
  }

  #perform(opcode: Opcode, key: string, extras: Buffer, value: Buffer, cas: Buffer | null): Promise<Reply> {
    const client = this.#client;
    client.incrSeq();
    const seq = client.seq;
    const keyBytes = Buffer.from(key, 'utf8');
    const request = Buffer.alloc(24 + extras.length + keyBytes.length + value.length);
    request.writeUInt8(0x80, 0); // request magic
    request.writeUInt8(opcode, 1);
    request.writeUInt16BE(keyBytes.length, 2);
    request.writeUInt8(extras.length, 4);
    request.writeUInt32BE(extras.length + keyBytes.length + value.length, 8);
    request.writeUInt32BE(seq, 12);
    if (cas !== null) cas.copy(request, 16, 0, 8);
    extras.copy(request, 24);
    keyBytes.copy(request, 24 + extras.length);
    value.copy(request, 24 + extras.length + keyBytes.length);
    return new Promise((resolve, reject) => {
      client.perform(key, request, seq, (error: Error | string | null, response?: RawResponse) => {
        if (error !== null) {
          reject(error instanceof Error ? error : new Error(error));
          return;
        }
        if (
          response === undefined ||
          !Buffer.isBuffer(response.val) ||
          !Buffer.isBuffer(response.header.cas)
        ) {
          reject(new Error('unexpected reply from memcached'));
          return;
        }
        resolve({ status: response.header.status, value: response.val, cas: response.header.cas });
      });
    });
  }
}

const EMPTY = Buffer.alloc(0);

interface Reply {
  status: number;
  value: Buffer;
  cas: Buffer;
}

/** What memjs hands a `perform` callback: the parsed response. */
interface RawResponse {
  header: { status: number; cas: Buffer };
  val: Buffer;
}

function outcome(response: Reply, name: string): WriteResult {
  switch (response.status) {
    case Status.Ok:
      return 'stored';
    case Status.NotFound:
      return 'missing';
    case Status.Exists:
      return 'exists';
    default:
      throw failure(response, name);
  }
}

function failure(response: Reply, name: string): Error {
  // The server's message (e.g. "Out of memory", "Too large") is in the body; it never holds the value.
  const message = response.value.toString('utf8').slice(0, 200);
  return new Error(`memcached ${name} failed: status 0x${response.status.toString(16)} ${message}`);
}
