import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import { authPages } from './auth.js';
import { notePages } from './notes.js';
import { passwordPages } from './password.js';
import { recoveryPages } from './recovery.js';
import { outboxPages } from './outbox.js';
import { reauthPages } from './reauth.js';
import { sessionPages } from './sessions.js';
import { signInCodePages } from './sign-in-code.js';
import { securityPages } from './security.js';
import { passkeyPages } from './passkeys.js';

export { assetRoutes } from './assets.js';
export { errorPage } from './error-page.js';

/**
 * The server-rendered pages: plain HTML forms that work without JavaScript, protected from cross-site
 * requests by the session core's origin checks (the router loads the session first). Errors are answered
 * with {@link errorPage}.
 */
export function pageRoutes(router: AppRouter, services: AppServices): void {
  authPages(router, services);
  signInCodePages(router, services);
  securityPages(router, services);
  passkeyPages(router, services);
  notePages(router, services);
  sessionPages(router, services);
  passwordPages(router, services);
  recoveryPages(router, services);
  outboxPages(router, services);
  reauthPages(router, services);
}
