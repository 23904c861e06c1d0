import type {
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
  UserSnapshotOptions,
} from '../types.js';
import { snapshotStoreSettings, type LoadUser, type SnapshotStoreOptions } from '../user-snapshots.js';
import type { DynamoDBSender } from './client.js';
import {
  decodeRecord,
  encodeRecord,
  sessionIdOf,
  sessionKey,
  SESSION_PREFIX,
  ttlSeconds,
  userKey,
  type Item,
} from './item.js';
import { loadedSdk, loadSdk, type DynamoDBModule } from './sdk.js';
import { USER_INDEX } from './table.js';

/** User snapshots kept in the table beside the sessions (items `u#<user id>`). */
export type DynamoDBUserSnapshots<U> = UserSnapshotOptions<U>;

/** The DynamoDB store's options; a call (the SDK's retries included) fails after `timeoutMs`. */
export interface DynamoDBStoreOptions<U> extends SnapshotStoreOptions<U> {
  /** The table, made by `createTable` or `cloakroom stores init dynamodb` (or your own IaC, same layout). */
  table: string;
  /** The user index's name. Default `byUser` (what `createTable` makes). */
  indexName?: string;
  /** Sessions deleted at once by `deleteByUser` and `deleteExpired`. Default 16. */
  concurrency?: number;
}

/**
 * A session store on Amazon DynamoDB (AWS SDK v3), through a `DynamoDBClient` you create and own (see
 * `dynamoDBClientOptions`). One table, one item per session (`item.ts`), one global secondary index on
 * `userId` (keys only). See docs/stores.md, "DynamoDB", for the layout and the round trips.
 *
 * - validation is one strongly consistent `GetItem` (a revocation is seen at once); with user snapshots a
 *   second `GetItem` of the user's item follows, since DynamoDB cannot read two items in one request
 *   without knowing both keys first;
 * - creation is a `PutItem` conditional on the id being new; a touch an `UpdateItem` conditional on the
 *   version (so a late touch never brings back a revoked session); rotation a conditional `PutItem` of the
 *   successor, then a `DeleteItem` of the old session conditional on its version and user: of two
 *   concurrent rotations only one delete can succeed, and the loser removes its successor again;
 * - listing a user's sessions and signing out everywhere are a `Query` on the index (never a `Scan`), then
 *   strongly consistent reads or deletes of the items found. The index is eventually consistent: a session
 *   created a moment (typically well under a second) before may not be found yet;
 * - expiry is DynamoDB's TTL on `ttl` (which deletes up to days late, so callers check `expiresAt` on every
 *   read, as with every store); `deleteExpired` is a maintenance `Scan` that TTL makes unnecessary.
 *
 * @example
 * ```ts
 * const client = new DynamoDBClient({ ...dynamoDBClientOptions(), region: 'eu-west-1' });
 * await createTable(client, { table: 'sessions' }); // once, or `cloakroom stores init dynamodb`
 * const store = new DynamoDBStore<AppUser>(client, { table: 'sessions', loadUser: findUser });
 * ```
 */
export class DynamoDBStore<U = SessionUser> implements SessionStore<U>, SessionIndex {
  readonly index: SessionIndex = this;
  readonly #client: DynamoDBSender;
  readonly #table: string;
  readonly #indexName: string;
  readonly #concurrency: number;
  readonly #loadUser: LoadUser<U> | null;
  readonly #snapshots: Required<DynamoDBUserSnapshots<U>> | null;
  readonly #timeoutMs: number;

  constructor(client: DynamoDBSender, options: DynamoDBStoreOptions<U>) {
    if (typeof options.table !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(options.table)) {
      throw new TypeError('table must be a DynamoDB table name (3-255 characters: A-Z a-z 0-9 _ - .)');
    }
    this.#client = client;
    this.#table = options.table;
    this.#indexName = options.indexName ?? USER_INDEX;
    this.#concurrency = options.concurrency ?? 16;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new TypeError('concurrency must be a positive integer');
    }
    const settings = snapshotStoreSettings(options);
    this.#snapshots = settings.snapshots;
    this.#loadUser = settings.loadUser;
    this.#timeoutMs = settings.timeoutMs;
  }

  async get(id: string): Promise<StoredSession<U> | null> {
    const sdk = await this.#sdk();
    if (!validId(id)) return null;
    const reply = await this.#send(
      new sdk.GetItemCommand({ TableName: this.#table, Key: sessionKey(id), ConsistentRead: true }),
    );
    if (reply.Item === undefined) return null;
    const session = decodeRecord(id, reply.Item);
    return { session, user: await this.#user(session.userId) };
  }

  async create(session: SessionRecord): Promise<void> {
    const sdk = await this.#sdk();
    const item = encodeRecord(session);
    try {
      await this.#send(
        new sdk.PutItemCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (conditionFailed(error)) throw new Error('session id already exists', { cause: error });
      throw error;
    }
  }

  async touch(id: string, touch: SessionTouch): Promise<boolean> {
    const sdk = await this.#sdk();
    const { lastSeenAt, expiresAt, version } = touch;
    for (const [name, value] of Object.entries({ lastSeenAt, expiresAt, version })) {
      if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be a safe integer`);
    }
    if (!validId(id)) return false;
    try {
      await this.#send(
        new sdk.UpdateItemCommand({
          TableName: this.#table,
          Key: sessionKey(id),
          // `version = :v` fails on a missing item too: a late touch never re-creates a revoked session.
          ConditionExpression: '#version = :v',
          UpdateExpression: 'SET #lastSeenAt = :l, #expiresAt = :e, #ttl = :t, #version = :next',
          ExpressionAttributeNames: {
            '#version': 'version',
            '#lastSeenAt': 'lastSeenAt',
            '#expiresAt': 'expiresAt',
            '#ttl': 'ttl',
          },
          ExpressionAttributeValues: {
            ':v': { N: String(version) },
            ':next': { N: String(version + 1) },
            ':l': { N: String(lastSeenAt) },
            ':e': { N: String(expiresAt) },
            ':t': { N: ttlSeconds(expiresAt) },
          },
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Rotation in two conditional writes (DynamoDB transactions would make it one request at twice the
   * write cost, but the local emulator the suite runs on has none): the successor is put if its id is new,
   * then the old session deleted if it still has `version` and the same user. When that delete's condition
   * fails (a sign-out, a renewal or another rotation won), the successor is deleted again and the answer is
   * `false`. Both exist for one round trip, but the successor's token is handed out only on success; if
   * DynamoDB fails between the two, the successor is removed on a best-effort basis (a leftover one is
   * unusable: nobody holds its secret).
   */
  async replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    const sdk = await this.#sdk();
    if (!Number.isSafeInteger(version)) throw new TypeError('version must be a safe integer');
    if (next.id === id) throw new TypeError('replace needs a new session id');
    if (!validId(id)) return false;
    await this.create(next);
    let removed: boolean;
    try {
      removed = await this.#deleteIf(id, version, next.userId);
    } catch (error) {
      this.#send(new sdk.DeleteItemCommand({ TableName: this.#table, Key: sessionKey(next.id) })).catch(
        () => undefined,
      );
      throw error;
    }
    if (removed) return true;
    await this.#send(new sdk.DeleteItemCommand({ TableName: this.#table, Key: sessionKey(next.id) }));
    // Only on this losing path: tell misuse (another user's session) from a lost race.
    const current = await this.get(id);
    if (current !== null && current.session.userId !== next.userId) {
      throw new TypeError("replace keeps the session's user");
    }
    return false;
  }

  async delete(id: string): Promise<void> {
    const sdk = await this.#sdk();
    if (!validId(id)) return;
    await this.#send(new sdk.DeleteItemCommand({ TableName: this.#table, Key: sessionKey(id) }));
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const sdk = await this.#sdk();
    const ids = await this.#idsOf(userId);
    const sessions: SessionRecord[] = [];
    // BatchGetItem reads up to 100 items per request, strongly consistent, so the list is current.
    for (let start = 0; start < ids.length; start += 100) {
      let keys: Item[] = ids.slice(start, start + 100).map(sessionKey);
      while (keys.length > 0) {
        const reply = await this.#send(
          new sdk.BatchGetItemCommand({
            RequestItems: { [this.#table]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of reply.Responses?.[this.#table] ?? []) {
          const id = sessionIdOf(item);
          if (id === null) continue;
          const session = decodeRecord(id, item);
          if (session.userId === userId) sessions.push(session);
        }
        keys = reply.UnprocessedKeys?.[this.#table]?.Keys ?? [];
      }
    }
    return sessions;
  }

  async deleteByUser(userId: string, options: { except?: string } = {}): Promise<number> {
    const sdk = await this.#sdk();
    const ids = (await this.#idsOf(userId)).filter((id) => id !== options.except);
    const removed = await this.#eachLimited(ids, async (id) => {
      const reply = await this.#send(
        new sdk.DeleteItemCommand({
          TableName: this.#table,
          Key: sessionKey(id),
          ConditionExpression: '#userId = :u',
          ExpressionAttributeNames: { '#userId': 'userId' },
          ExpressionAttributeValues: { ':u': { S: userId } },
          ReturnValues: 'ALL_OLD',
        }),
      ).catch((error: unknown) => {
        if (conditionFailed(error)) return { Attributes: undefined };
        throw error;
      });
      return reply.Attributes !== undefined;
    });
    return removed.filter(Boolean).length;
  }

  /**
   * A maintenance sweep, never on a request path: DynamoDB's TTL removes expired sessions by itself, at no
   * cost. It is a `Scan` (reading the whole table) for the session items with `expiresAt <= now`, each then
   * deleted on that same condition, so a session renewed meanwhile stays.
   */
  async deleteExpired(now: number): Promise<number> {
    const sdk = await this.#sdk();
    if (!Number.isSafeInteger(now)) throw new TypeError('now must be a safe integer');
    let removed = 0;
    let start: Item | undefined;
    do {
      const page = await this.#send(
        new sdk.ScanCommand({
          TableName: this.#table,
          ConsistentRead: true,
          ProjectionExpression: 'pk',
          FilterExpression: 'begins_with(pk, :s) AND #expiresAt <= :now',
          ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':s': { S: SESSION_PREFIX }, ':now': { N: String(now) } },
          ExclusiveStartKey: start,
        }),
      );
      const ids = (page.Items ?? []).map(sessionIdOf).filter((id): id is string => id !== null);
      const done = await this.#eachLimited(ids, async (id) => {
        try {
          await this.#send(
            new sdk.DeleteItemCommand({
              TableName: this.#table,
              Key: sessionKey(id),
              ConditionExpression: '#expiresAt <= :now',
              ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
              ExpressionAttributeValues: { ':now': { N: String(now) } },
            }),
          );
          return true;
        } catch (error) {
          if (conditionFailed(error)) return false;
          throw error;
        }
      });
      removed += done.filter(Boolean).length;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return removed;
  }

  /**
   * Stores (or replaces) the user's snapshot, read beside their sessions from then on. Call it when the user
   * is created and whenever a field the snapshot holds changes. Requires the `users` option.
   */
  async setUser(userId: string, user: U): Promise<void> {
    const sdk = await this.#sdk();
    const snapshots = this.#requireSnapshots();
    await this.#send(
      new sdk.PutItemCommand({
        TableName: this.#table,
        Item: { ...userKey(userId), user: { S: snapshots.serialize(user) } },
      }),
    );
  }

  /** Removes the user's snapshot: their sessions then validate as `user_not_found`. Requires `users`. */
  async deleteUser(userId: string): Promise<void> {
    const sdk = await this.#sdk();
    this.#requireSnapshots();
    await this.#send(new sdk.DeleteItemCommand({ TableName: this.#table, Key: userKey(userId) }));
  }

  async #user(userId: string): Promise<U | null> {
    const sdk = await this.#sdk();
    if (this.#snapshots !== null) {
      const reply = await this.#send(
        new sdk.GetItemCommand({ TableName: this.#table, Key: userKey(userId), ConsistentRead: true }),
      );
      const text = reply.Item?.user?.S;
      if (text !== undefined) return this.#snapshots.parse(text);
    }
    return this.#loadUser === null ? null : this.#loadUser(userId);
  }

  /** Deletes the session if it still has `version` and `userId`; `false` when the condition fails. */
  async #deleteIf(id: string, version: number, userId: string): Promise<boolean> {
    const sdk = await this.#sdk();
    try {
      await this.#send(
        new sdk.DeleteItemCommand({
          TableName: this.#table,
          Key: sessionKey(id),
          ConditionExpression: '#version = :v AND #userId = :u',
          ExpressionAttributeNames: { '#version': 'version', '#userId': 'userId' },
          ExpressionAttributeValues: { ':v': { N: String(version) }, ':u': { S: userId } },
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  /** The ids of the user's sessions, from the index (eventually consistent; keys only). */
  async #idsOf(userId: string): Promise<string[]> {
    const sdk = await this.#sdk();
    if (typeof userId !== 'string' || userId === '') return [];
    const ids: string[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#send(
        new sdk.QueryCommand({
          TableName: this.#table,
          IndexName: this.#indexName,
          KeyConditionExpression: '#userId = :u',
          ExpressionAttributeNames: { '#userId': 'userId' },
          ExpressionAttributeValues: { ':u': { S: userId } },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const id = sessionIdOf(item);
        if (id !== null) ids.push(id);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return ids;
  }

  /** Runs `run` over `items`, at most `concurrency` at a time; the results in order. */
  async #eachLimited<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const at = next++;
        results[at] = await run(items[at] as T);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, items.length) }, worker));
    return results;
  }

  /** The SDK's command classes: a plain value after the first call. */
  async #sdk(): Promise<DynamoDBModule> {
    return loadedSdk() ?? loadSdk();
  }

  #requireSnapshots(): Required<DynamoDBUserSnapshots<U>> {
    if (this.#snapshots === null) throw new TypeError('user snapshots need the `users` option');
    return this.#snapshots;
  }

  /**
   * Sends one command, failing it after `timeoutMs` whatever the client's own settings: the SDK's request
   * is aborted (its retries with it) and the call rejects, so a throttled, slow or unreachable DynamoDB
   * becomes `store_unavailable` in bounded time.
   */
  #send: DynamoDBSender['send'] = (async (command: Parameters<DynamoDBSender['send']>[0]) => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`no reply from DynamoDB within ${this.#timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([this.#client.send(command, { abortSignal: controller.signal }), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }) as DynamoDBSender['send'];
}

/** Session ids are what the session layer makes: short base64url. Anything else cannot be stored. */
function validId(id: string): boolean {
  return typeof id === 'string' && id.length > 0 && id.length <= 512;
}

function conditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
