import type { RequestSession } from 'cloakroom';
import type { AppUser } from './http/env.js';
import type { AppServices } from './services.js';

/**
 * After a registration (API or page), the first verification link goes out at once. The account exists
 * already, so a failure here (a store outage) is logged and does not turn the registration into an error:
 * the notes page offers "send the link again".
 */
export async function sendFirstVerification(
  services: Pick<AppServices, 'recovery' | 'log'>,
  request: RequestSession<AppUser>,
): Promise<void> {
  try {
    await services.recovery.requestEmailVerification(request);
  } catch (error) {
    services.log.warn(
      { err: error instanceof Error ? error.message : 'unknown' },
      'the first verification mail was not started',
    );
  }
}
