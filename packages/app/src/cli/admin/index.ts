import { Command } from 'commander';
import { addAccountCommands } from './accounts.js';
import { addSessionCommands } from './sessions.js';
import { addStoreCommands } from './store.js';

/**
 * `cloakroom admin …`: an operator's commands on the running site's stores (same environment as
 * `cloakroom serve`): a user's sessions, revocation, account locks, forced password resets, store
 * statistics and sweeps. See docs/admin.md.
 */
export function adminCommand(fail: (message: string) => never): Command {
  const admin = new Command('admin').description(
    "Act on the site's users and sessions from a shell (same environment as `cloakroom serve`).\n" +
      'Exit codes: 0 ok, 1 failure, 2 usage (or no --yes without a terminal), 3 not found,\n' +
      '4 store unavailable, 5 cancelled at the prompt. See docs/admin.md.',
  );
  // Commander ends usage errors (a missing argument, an unknown option or command) with 1; ours is 2.
  admin.exitOverride((error) => {
    process.exit(error.exitCode === 1 && error.code.startsWith('commander.') ? 2 : error.exitCode);
  });
  addSessionCommands(admin, fail);
  addAccountCommands(admin, fail);
  addStoreCommands(admin, fail);
  return admin;
}
