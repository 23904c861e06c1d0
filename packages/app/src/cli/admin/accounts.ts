import type { Command } from 'commander';
import { forcePasswordReset, isLocked } from 'cloakroom/accounts';
import { mailProblem } from '../../app/config.js';
import {
  AdminExit,
  confirm,
  dataDirOption,
  EXIT,
  findUser,
  jsonOption,
  plural,
  runAdmin,
  yesOption,
  type AdminFlags,
} from './context.js';
import { revokeEverything } from './sessions.js';
import { userJson, userLine } from './user.js';

/** `admin lock`, `admin unlock` and `admin force-reset`. */
export function addAccountCommands(admin: Command, fail: (message: string) => never): void {
  admin
    .command('lock <user>')
    .description(
      'Lock an account: it cannot sign in (password, provider, reset link: 403 account_locked, told only\n' +
        'after a correct password) until `admin unlock`, and every session and refresh token ends now.',
    )
    .addOption(yesOption())
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action((who: string, flags: AdminFlags) =>
      runAdmin(flags, fail, async ({ services, print }) => {
        const user = await findUser(services, who);
        const live = (await services.sessions.listUserSessions(user.id)).length;
        await confirm(
          flags,
          `Lock ${user.email}: no sign-in until unlocked, and ${plural(live, 'live session')} end now?`,
        );
        const alreadyLocked = isLocked(user);
        // The lock first: a sign-in racing the command is refused from here on, then the sessions end.
        if (!alreadyLocked) await services.users.setLockedAt(user.id, services.sessions.config.clock.now());
        const revoked = await revokeEverything(services, user.id);
        const locked = await findUser(services, user.id);
        print(
          `${alreadyLocked ? 'Already locked' : 'Locked'}: ${userLine(locked)}. ` +
            `${plural(revoked.sessions, 'session')} and ` +
            `${plural(revoked.refreshFamilies, 'refresh-token family', 'refresh-token families')} revoked.`,
          {
            user: userJson(locked),
            alreadyLocked,
            sessionsRevoked: revoked.sessions,
            refreshFamiliesRevoked: revoked.refreshFamilies,
          },
        );
      }),
    );

  admin
    .command('unlock <user>')
    .description('Unlock an account: it can sign in again (its sessions stay ended).')
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action((who: string, flags: AdminFlags) =>
      runAdmin(flags, fail, async ({ services, print }) => {
        const user = await findUser(services, who);
        const wasLocked = isLocked(user);
        if (wasLocked) await services.users.setLockedAt(user.id, null);
        const now = await findUser(services, user.id);
        print(`${wasLocked ? 'Unlocked' : 'Not locked'}: ${userLine(now)}.`, {
          user: userJson(now),
          wasLocked,
        });
      }),
    );

  let mailFailed = false;
  admin
    .command('force-reset <user>')
    .description(
      'Force a password reset: the password stops working now, every session and refresh token ends,\n' +
        'and a reset link is mailed when the site has mail (CLOAKROOM_SMTP_URL, or the development outbox\n' +
        'on a loopback origin); otherwise the user asks for one on "Forgot your password?".',
    )
    .addOption(yesOption())
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action((who: string, flags: AdminFlags) =>
      runAdmin(
        flags,
        fail,
        async ({ config, services, print }) => {
          const user = await findUser(services, who);
          const canMail = mailProblem(config) === null;
          await confirm(
            flags,
            `Force a password reset for ${user.email}: the password stops working and every session ends` +
              `${canMail ? ', and a reset link is mailed' : ' (no mail is configured: no link is sent)'}?`,
          );
          const families = await services.tokens.refresh.revokeFamilies(
            { userId: user.id },
            'user_sessions_ended',
          );
          const result = await forcePasswordReset(user, {
            users: services.users,
            sessions: services.sessions,
            ...(canMail ? { recovery: services.recovery } : {}),
          });
          await services.mailer.idle();
          const mail = !result.mailed ? 'not_configured' : mailFailed ? 'failed' : 'sent';
          const where = services.outbox === null ? '' : ' (to the development outbox)';
          print(
            `Password reset forced for ${user.email}: ${plural(result.sessionsEnded, 'session')} and ` +
              `${plural(families, 'refresh-token family', 'refresh-token families')} revoked; ` +
              {
                sent: `reset link mailed${where}.`,
                failed:
                  'the reset link could NOT be mailed: the user can ask for one on "Forgot your password?".',
                not_configured: 'no mail configured: the user asks for a link on "Forgot your password?".',
              }[mail],
            {
              user: userJson(user),
              sessionsRevoked: result.sessionsEnded,
              refreshFamiliesRevoked: families,
              mail,
            },
          );
          if (mail === 'failed') throw new AdminExit(EXIT.failure, 'the reset mail could not be sent');
        },
        {
          onMailError: () => {
            mailFailed = true;
          },
        },
      ),
    );
}
