import { Command, Option } from 'commander';
import { systemClock } from 'cloakroom';
import { ConfigError, configFromEnv, type AppConfig } from '../app/config.js';
import { ClientExistsError, registerClient } from 'cloakroom/tokens/issuer';
import { openTokenStores } from '../app/tokens/open-stores.js';

interface StoreFlags {
  dataDir?: string;
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(/[\s,]+/).filter((item) => item !== ''),
];

/** Runs `work` on the issuer's stores where the server keeps them (same environment as `cloakroom serve`). */
async function withStores<T>(
  flags: StoreFlags,
  fail: (message: string) => never,
  work: (stores: Awaited<ReturnType<typeof openTokenStores>>) => Promise<T>,
): Promise<T> {
  const config = serverConfig(flags, fail);
  const stores = await openTokenStores(config);
  try {
    return await work(stores);
  } finally {
    await stores.close();
  }
}

/** The server's configuration from the same environment (and `--data-dir`); a bad value fails clearly. */
export function serverConfig(flags: StoreFlags, fail: (message: string) => never): AppConfig {
  try {
    return configFromEnv(process.env, flags.dataDir === undefined ? {} : { dataDir: flags.dataDir });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'the data folder of the server (default: CLOAKROOM_DATA_DIR or ./data)');

/**
 * `cloakroom clients add|list|remove`: the service clients that may use `client_credentials` and token
 * exchange at `/oauth/token`. They live in the server's database (SQLite under the data folder, or
 * PostgreSQL with `CLOAKROOM_DATABASE_URL`), so the commands work while the server runs.
 */
export function clientsCommand(fail: (message: string) => never): Command {
  const clients = new Command('clients').description('Register and remove OAuth service clients.');

  clients
    .command('add <id>')
    .description(
      'Register a service client. Prints {"client_id","client_secret"} as JSON, once: only a hash of the\n' +
        'secret is stored, so it cannot be shown again.',
    )
    .requiredOption(
      '--scope <scopes...>',
      'scopes the client may obtain (space- or comma-separated)',
      collect,
    )
    .requiredOption('--audience <audiences...>', 'audiences it may obtain tokens for', collect)
    .option(
      '--resource <audiences...>',
      "audiences it serves: users' tokens for them are the ones it may exchange (none: no token exchange)",
      collect,
    )
    .addOption(dataDirOption())
    .action(
      async (
        id: string,
        flags: StoreFlags & { scope: string[]; audience: string[]; resource?: string[] },
      ) => {
        try {
          const client = {
            id,
            scopes: flags.scope,
            audiences: flags.audience,
            resources: flags.resource ?? [],
          };
          const result = await withStores(flags, fail, (stores) =>
            registerClient(stores.clients, client, systemClock),
          );
          console.log(JSON.stringify({ client_id: result.clientId, client_secret: result.clientSecret }));
        } catch (error) {
          if (error instanceof TypeError || error instanceof ClientExistsError) fail(error.message);
          throw error;
        }
      },
    );

  clients
    .command('list')
    .description('List the registered clients (never their secrets).')
    .option('--json', 'print JSON')
    .addOption(dataDirOption())
    .action(async (flags: StoreFlags & { json?: boolean }) => {
      const list = await withStores(flags, fail, (stores) => stores.clients.list());
      const rows = list.map((client) => ({
        client_id: client.id,
        scopes: client.scopes,
        audiences: client.audiences,
        resources: client.resources,
        created_at: new Date(client.createdAt).toISOString(),
      }));
      if (flags.json === true) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      if (rows.length === 0) console.log('No clients registered.');
      for (const row of rows) {
        console.log(
          `${row.client_id}  scope: ${row.scopes.join(' ')}  audience: ${row.audiences.join(' ')}` +
            `  serves: ${row.resources.length === 0 ? '-' : row.resources.join(' ')}  created ${row.created_at}`,
        );
      }
    });

  clients
    .command('remove <id>')
    .description('Remove a client: its secret stops working at once (tokens it holds expire on their own).')
    .addOption(dataDirOption())
    .action(async (id: string, flags: StoreFlags) => {
      const removed = await withStores(flags, fail, (stores) => stores.clients.remove(id));
      if (!removed) fail(`no client with the id ${JSON.stringify(id)}`);
      console.log(`Removed client ${id}.`);
    });

  return clients;
}
