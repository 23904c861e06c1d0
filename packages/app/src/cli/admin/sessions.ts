import type { Command } from 'commander';
import type { Session } from 'cloakroom/session';
import { storeCall } from 'cloakroom/stores';
import type { AppServices } from '../../app/services.js';
import {
  AdminExit,
  confirm,
  dataDirOption,
  EXIT,
  findUser,
  iso,
  jsonOption,
  plural,
  runAdmin,
  yesOption,
  type AdminFlags,
} from './context.js';
import { userJson, userLine } from './user.js';

/** A session as `admin sessions --json` prints it. */
export const sessionJson = (session: Session) => ({
  id: session.id,
  createdAt: iso(session.createdAt),
  lastSeenAt: iso(session.lastSeenAt),
  expiresAt: iso(session.expiresAt),
  absoluteExpiresAt: iso(session.absoluteExpiresAt),
  ip: session.ip,
  userAgent: session.userAgent,
});

const sessionLine = (session: Session) =>
  `  ${session.id}  last seen ${iso(session.lastSeenAt)}  signed in ${iso(session.createdAt)}` +
  `  expires ${iso(session.expiresAt)}  ${session.ip ?? '-'}  ${session.userAgent ?? '-'}`;

/** `admin sessions`, `admin revoke` and `admin revoke-all`. */
export function addSessionCommands(admin: Command, fail: (message: string) => never): void {
  admin
    .command('sessions <user>')
    .description("List a user's live sessions (by user id or email), most recently used first.")
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action((who: string, flags: AdminFlags) =>
      runAdmin(flags, fail, async ({ services, print }) => {
        const user = await findUser(services, who);
        const sessions = await services.sessions.listUserSessions(user.id);
        const count = sessions.length;
        print(
          [
            userLine(user),
            count === 0 ? 'No live session.' : `${plural(count, 'live session')}:`,
            ...sessions.map(sessionLine),
          ].join('\n'),
          { user: userJson(user), sessions: sessions.map(sessionJson) },
        );
      }),
    );

  admin
    .command('revoke <session-id>')
    .description(
      'End one session by its public id (as `admin sessions` shows it), with the refresh tokens minted\n' +
        'from it. Its next request is refused at once, on every process of the site.',
    )
    .addOption(yesOption())
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .action((sessionId: string, flags: AdminFlags) =>
      runAdmin(flags, fail, async ({ services, print }) => {
        const { store, clock } = services.sessions.config;
        const found = await storeCall('get', () => store.get(sessionId));
        const now = clock.now();
        if (found === null || found.session.expiresAt <= now || found.session.absoluteExpiresAt <= now) {
          throw new AdminExit(EXIT.notFound, `no live session with the id ${JSON.stringify(sessionId)}`);
        }
        const owner = await services.users.findById(found.session.userId);
        const whose = owner?.email ?? `user ${found.session.userId}`;
        await confirm(flags, `Revoke session ${sessionId} of ${whose}?`);
        await services.sessions.revoke(sessionId, { by: 'admin', userId: found.session.userId });
        print(`Revoked session ${sessionId} of ${whose}.`, {
          revoked: true,
          sessionId,
          userId: found.session.userId,
        });
      }),
    );

  admin
    .command('revoke-all <user>')
    .description(
      "Sign a user out everywhere: end all of the user's sessions and revoke every refresh-token family\n" +
        'of the token issuer, so no access token can be refreshed either.',
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
          `Sign ${user.email} out everywhere (${plural(live, 'live session')}, and every refresh token)?`,
        );
        const revoked = await revokeEverything(services, user.id);
        print(
          `Signed ${user.email} out everywhere: ${plural(revoked.sessions, 'session')} and ` +
            `${plural(revoked.refreshFamilies, 'refresh-token family', 'refresh-token families')} revoked.`,
          {
            userId: user.id,
            email: user.email,
            sessionsRevoked: revoked.sessions,
            refreshFamiliesRevoked: revoked.refreshFamilies,
          },
        );
      }),
    );
}

/**
 * Ends every session of the user and every refresh-token family (also those whose session already ended).
 * The families go first, as the session store's own wrapper does: a failure between the two leaves tokens
 * dead and sessions alive, never the reverse.
 */
export async function revokeEverything(
  services: AppServices,
  userId: string,
): Promise<{ sessions: number; refreshFamilies: number }> {
  const refreshFamilies = await services.tokens.refresh.revokeFamilies({ userId }, 'user_sessions_ended');
  const sessions = await services.sessions.revokeUserSessions(userId, { by: 'admin' });
  return { sessions, refreshFamilies };
}
