import type { Command } from 'commander';
import type { AppConfig } from '../../app/config.js';
import {
  confirm,
  dataDirOption,
  jsonOption,
  plural,
  runAdmin,
  yesOption,
  type AdminFlags,
} from './context.js';

/** Which backend holds the site's sessions, as `admin stats` names it. */
export function sessionBackend(config: AppConfig): string {
  const store = config.store;
  if (store?.startsWith('dynamodb:') === true) return 'dynamodb';
  if (store?.startsWith('redis+cluster:') === true) return 'redis-cluster';
  if (store !== undefined) return 'redis';
  return config.databaseUrl === undefined ? 'sqlite' : 'postgres';
}

/** `admin stats` and `admin sweep`. */
export function addStoreCommands(admin: Command, fail: (message: string) => never): void {
  admin
    .command('stats')
    .description(
      'Session store statistics: live sessions, and expired ones awaiting a sweep (stores that cannot\n' +
        'count, such as DynamoDB, say "not supported").',
    )
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action((flags: AdminFlags) =>
      runAdmin(flags, fail, async ({ config, services, print }) => {
        const counts = await services.sessions.countSessions();
        const backend = sessionBackend(config);
        const cache = config.nearCache ? ' behind the near-cache' : '';
        print(
          counts === null
            ? `Sessions (${backend}${cache}): counting is not supported by this store.`
            : [
                `Sessions (${backend}${cache}):`,
                `  live                      ${counts.live}`,
                `  expired, awaiting sweep   ${counts.expired}`,
              ].join('\n'),
          {
            store: backend,
            nearCache: config.nearCache,
            supported: counts !== null,
            sessions: counts,
          },
        );
      }),
    );

  admin
    .command('sweep')
    .description(
      'Remove expired sessions now (the server also does it every 5 minutes). In Redis, expired\n' +
        'sessions are already gone by their TTL: this prunes what they left in the per-user indexes.',
    )
    .addOption(yesOption())
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action((flags: AdminFlags) =>
      runAdmin(flags, fail, async ({ services, print }) => {
        await confirm(flags, 'Remove every expired session now?');
        const removed = await services.sessions.sweepExpired();
        print(`Removed ${plural(removed, 'expired session')}.`, { removed });
      }),
    );
}
