import { Command, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { serverConfig } from './clients.js';
import { loadOrCreateKeyring } from 'cloakroom/tokens';
import type { SigningKeyring } from 'cloakroom/tokens';

interface KeyFlags {
  dataDir?: string;
}

/** The server's keyring (`<data dir>/signing-keys.json`), created on first use like the server does. */
async function openKeyring(flags: KeyFlags, fail: (message: string) => never): Promise<SigningKeyring> {
  const config = serverConfig(flags, fail);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return loadOrCreateKeyring({ dir: config.dataDir, alg: config.tokens.signingAlgorithm });
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'the data folder of the server (default: CLOAKROOM_DATA_DIR or ./data)');

/**
 * `cloakroom keys rotate|list`: the access-token signing keys in the server's data folder. A running server
 * picks a rotation up within seconds (it re-reads the keyring), and publishes every key before it signs.
 */
export function keysCommand(fail: (message: string) => never): Command {
  const keys = new Command('keys').description('Rotate and list the access-token signing keys.');

  keys
    .command('rotate')
    .description(
      'The published next key starts signing, the current key retires (it stays in the JWKS until every\n' +
        'token it signed has expired) and a new next key is published.',
    )
    .addOption(dataDirOption())
    .action(async (flags: KeyFlags) => {
      const keyring = await openKeyring(flags, fail);
      const kid = await keyring.rotate();
      console.log(`Rotated: ${kid} signs now.`);
    });

  keys
    .command('list')
    .description('List the keys (never their private parts): state, algorithm, dates.')
    .option('--json', 'print JSON')
    .addOption(dataDirOption())
    .action(async (flags: KeyFlags & { json?: boolean }) => {
      const keyring = await openKeyring(flags, fail);
      const list = keyring.list();
      if (flags.json === true) {
        console.log(JSON.stringify(list, null, 2));
        return;
      }
      for (const key of list) {
        console.log(
          `${key.kid}  ${key.state.padEnd(7)}  ${key.alg.padEnd(5)}  created ${iso(key.createdAt)}  ` +
            `activated ${iso(key.activatedAt)}  retired ${iso(key.retiredAt)}  leaves the JWKS ${iso(key.dropsAt)}`,
        );
      }
    });

  return keys;
}
