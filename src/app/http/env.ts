import type { HttpBindings } from '@hono/node-server';
import type { Logger } from 'pino';
import type { RequestSession } from '../../http/request-session.js';

/** The user a session brings along on the reference site (joined from the users table). */
export interface AppUser {
  id: string;
  email: string;
}

/** Hono's environment for the reference site: node bindings and per-request variables. */
export interface AppEnv {
  Bindings: HttpBindings;
  Variables: {
    requestId: string;
    log: Logger;
    session: RequestSession<AppUser>;
  };
}
