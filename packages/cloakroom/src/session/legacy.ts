import type { SessionManager } from './manager.js';
import type { CookieSink, RequestInfo } from './request-session.js';
import type { Session } from './session.js';

/**
 * The hook a migration layer (`cloakroom/migrate`) gives the session manager: on a request with no valid
 * Cloakroom session, it may exchange a legacy credential for a new session. It resolves to the new session
 * and its user (having emitted the new cookie and the legacy cookie's removal), or `null` to leave the
 * request anonymous; it rejects only with `CsrfRejectedError` or `StoreUnavailableError`.
 */
export interface LegacyExchange<U> {
  exchange(
    manager: SessionManager<U>,
    info: RequestInfo,
    emit: CookieSink,
  ): Promise<{ session: Session; user: U } | null>;
}
