#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { pathToFileURL } from 'node:url';
import { ConfigError, configFromEnv, mailProblem, type AppConfig } from '../app/config.js';
import { MissingPackageError } from '../app/optional.js';
import { startServer } from '../app/server.js';
import { clientsCommand } from './clients.js';
import { keysCommand } from './keys.js';
import { inspectCommand } from './inspect.js';
import { benchCommand } from './bench.js';
import { migrateCommand } from './migrate.js';
import { storesCommand } from './stores.js';
import { adminCommand } from './admin/index.js';

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('a port number (0-65535)');
  return Number(value);
}

/** The `cloakroom` command line. */
export function program(): Command {
  const cli = new Command('cloakroom')
    .description('Cloakroom: server-side sessions done right, and JWTs only where they belong.')
    .showHelpAfterError();

  cli
    .command('serve')
    .description(
      'Serve the reference website and its JSON API on the embedded SQLite store.\n\n' +
        'Environment: HOST (127.0.0.1), PORT (3000), CLOAKROOM_DATA_DIR (./data),\n' +
        'CLOAKROOM_ORIGIN (http://localhost:$PORT), CLOAKROOM_SESSION_IDLE_SECONDS,\n' +
        'CLOAKROOM_SESSION_ABSOLUTE_SECONDS, CLOAKROOM_LOG_LEVEL (info). Flags win over the environment.\n' +
        'Access tokens: CLOAKROOM_ACCESS_TOKEN_SECONDS (300, max 3600), CLOAKROOM_SIGNING_ALG (EdDSA),\n' +
        'CLOAKROOM_TOKEN_AUDIENCES, CLOAKROOM_TOKEN_SCOPES, CLOAKROOM_REFRESH_IDLE_SECONDS,\n' +
        'CLOAKROOM_REFRESH_ABSOLUTE_SECONDS (see docs/tokens.md).\n' +
        'Stores: CLOAKROOM_DATABASE_URL (postgres://), CLOAKROOM_STORE (redis://, redis+cluster://,\n' +
        'dynamodb://<table>?region=<r>&endpoint=<url>: create it with `cloakroom stores init dynamodb`),\n' +
        'CLOAKROOM_NEAR_CACHE (off); sign-in with OpenID providers: CLOAKROOM_OIDC_CONFIG (see docs/app.md);\n' +
        'legacy sessions to take over: CLOAKROOM_MIGRATE_CONFIG (see docs/migrate.md).\n' +
        'Account mail: CLOAKROOM_SMTP_URL (smtp://, smtps://; required unless the origin is loopback),\n' +
        'CLOAKROOM_MAIL_FROM (see docs/accounts.md).',
    )
    .option('--host <host>', 'address to listen on')
    .option('--port <port>', 'port to listen on', port)
    .option('--data-dir <dir>', 'where the database and generated secrets live')
    .option('--origin <origin>', 'the public origin, e.g. https://example.com')
    .action(async (flags: { host?: string; port?: number; dataDir?: string; origin?: string }) => {
      const overrides: Partial<AppConfig> = {};
      if (flags.host !== undefined) overrides.host = flags.host;
      if (flags.port !== undefined) overrides.port = flags.port;
      if (flags.dataDir !== undefined) overrides.dataDir = flags.dataDir;
      if (flags.origin !== undefined) overrides.origin = flags.origin;
      let config: AppConfig;
      try {
        config = configFromEnv(process.env, overrides);
      } catch (error) {
        if (error instanceof ConfigError) cli.error(`cloakroom: ${error.message}`, { exitCode: 2 });
        throw error;
      }
      const mailRefusal = mailProblem(config);
      if (mailRefusal !== null) cli.error(`cloakroom: ${mailRefusal}`, { exitCode: 2 });
      const running = await startServer(config);
      console.log(
        `Cloakroom is running at ${config.origin} (listening on ${running.url}, data in ${config.dataDir})`,
      );
      const stop = () => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  cli.addCommand(inspectCommand());
  cli.addCommand(benchCommand());
  const fail = (message: string): never => cli.error(`cloakroom: ${message}`, { exitCode: 2 });
  cli.addCommand(keysCommand(fail));
  cli.addCommand(clientsCommand(fail));
  cli.addCommand(migrateCommand(fail));
  cli.addCommand(storesCommand(fail));
  cli.addCommand(adminCommand(fail));
  return cli;
}

/**
 * Runs the command line on `argv`. An optional package that the configuration needs but that is not
 * installed (`pg`, `ioredis`) ends the command with one line naming it, not a stack trace.
 */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    if (!(error instanceof MissingPackageError)) throw error;
    console.error(`cloakroom: ${error.message}`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
