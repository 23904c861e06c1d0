import { Command, Option } from 'commander';
import type { MigrationStore } from 'cloakroom/migrate';
import { SqliteMigrationStore } from 'cloakroom/migrate/sqlite';
import { RedisMigrationStore } from 'cloakroom/migrate/redis';
import { PostgresMigrationStore } from 'cloakroom/migrate/postgres';
import { postgresPoolOptions } from 'cloakroom/stores/postgres';
import { redisClientOptions } from 'cloakroom/stores/redis';
import type { AppConfig } from '../app/config.js';
import { openDatabase } from '../app/database.js';
import { importBackend } from '../app/optional.js';
import { serverConfig } from './clients.js';

/** The counters grouped per source: exchanged, and refused by reason. */
export interface MigrateStatus {
  acceptUntil: string | null;
  open: boolean;
  sources: Record<string, { exchanged: number; refused: Record<string, number> }>;
}

/** Groups the store's counters (`exchanged.<source>`, `refused.<source>.<reason>`) per source. */
export function migrateStatus(
  counters: Record<string, number>,
  acceptUntil: string | undefined,
  now: number,
): MigrateStatus {
  const sources: MigrateStatus['sources'] = {};
  const entry = (name: string) => (sources[name] ??= { exchanged: 0, refused: {} });
  for (const [counter, value] of Object.entries(counters)) {
    if (counter.startsWith('exchanged.')) entry(counter.slice('exchanged.'.length)).exchanged += value;
    else if (counter.startsWith('refused.')) {
      const rest = counter.slice('refused.'.length);
      const dot = rest.lastIndexOf('.');
      if (dot > 0) entry(rest.slice(0, dot)).refused[rest.slice(dot + 1)] = value;
    }
  }
  return {
    acceptUntil: acceptUntil ?? null,
    open: acceptUntil === undefined || now < Date.parse(acceptUntil),
    sources,
  };
}

/** The status as text, one line per source. */
export function formatMigrateStatus(status: MigrateStatus): string {
  const lines = [
    status.acceptUntil === null
      ? 'Legacy credentials: accepted (no cut-off set)'
      : `Legacy credentials: ${status.open ? 'accepted until' : 'ignored since'} ${status.acceptUntil}`,
  ];
  const names = Object.keys(status.sources).sort();
  if (names.length === 0) lines.push('No legacy credential seen yet.');
  for (const name of names) {
    const { exchanged, refused } = status.sources[name] ?? { exchanged: 0, refused: {} };
    const reasons = Object.entries(refused)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, count]) => `${reason} ${count}`);
    const total = Object.values(refused).reduce((sum, count) => sum + count, 0);
    lines.push(
      `${name}: exchanged ${exchanged}, refused ${total}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`,
    );
  }
  return lines.join('\n');
}

async function openStore(config: AppConfig): Promise<{ store: MigrationStore; close: () => void }> {
  if (config.store?.startsWith('redis+cluster://') === true) {
    const { Cluster } = await importBackend<typeof import('ioredis')>('ioredis', 'CLOAKROOM_STORE (Redis)');
    const nodes = config.store
      .slice('redis+cluster://'.length)
      .split(',')
      .map((node) => {
        const parsed = new URL(`redis://${node}`);
        return { host: parsed.hostname, port: Number(parsed.port || 6379) };
      });
    const cluster = new Cluster(nodes);
    return {
      store: new RedisMigrationStore(cluster),
      close: () => {
        cluster.disconnect();
      },
    };
  }
  if (config.store !== undefined && /^rediss?:\/\//.test(config.store)) {
    const { Redis } = await importBackend<typeof import('ioredis')>('ioredis', 'CLOAKROOM_STORE (Redis)');
    const client = new Redis(config.store, { ...redisClientOptions(), enableOfflineQueue: true });
    return {
      store: new RedisMigrationStore(client),
      close: () => {
        client.disconnect();
      },
    };
  }
  if (config.databaseUrl !== undefined) {
    const { default: pg } = await importBackend<{ default: typeof import('pg') }>(
      'pg',
      'CLOAKROOM_DATABASE_URL (PostgreSQL)',
    );
    const pool = new pg.Pool(postgresPoolOptions({ connectionString: config.databaseUrl }));
    return {
      store: await PostgresMigrationStore.create(pool),
      close: () => {
        void pool.end();
      },
    };
  }
  const db = openDatabase(config.dataDir);
  return { store: new SqliteMigrationStore(db), close: () => db.close() };
}

/**
 * `cloakroom migrate status`: how many legacy credentials were exchanged and refused (by reason), per source,
 * from the site's store, so an operator knows when the last legacy user has moved.
 */
export function migrateCommand(fail: (message: string) => never): Command {
  const migrate = new Command('migrate').description(
    'Follow the move from legacy sessions (CLOAKROOM_MIGRATE_CONFIG).',
  );
  migrate
    .command('status')
    .description('Exchanged and refused legacy credentials per source, and the cut-off (acceptUntil).')
    .option('--json', 'print JSON')
    .addOption(
      new Option('--data-dir <dir>', 'the data folder of the server (default: CLOAKROOM_DATA_DIR or ./data)'),
    )
    .action(async (flags: { dataDir?: string; json?: boolean }) => {
      const config = serverConfig(flags, fail);
      const { store, close } = await openStore(config);
      try {
        const status = migrateStatus(await store.counters(), config.migrate?.acceptUntil, Date.now());
        console.log(flags.json === true ? JSON.stringify(status, null, 2) : formatMigrateStatus(status));
      } finally {
        close();
      }
    });
  return migrate;
}
