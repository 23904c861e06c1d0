import type { Session } from 'cloakroom/session';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The session as the JSON API shows it (`GET /api/me`, `POST /api/auth/reauth`): its id, times as ISO 8601
 * strings, and how the user last proved who they are (`authTime`, and `amr`: RFC 8176 method references).
 */
export function sessionView(session: Session): {
  id: string;
  createdAt: string;
  expiresAt: string;
  authTime: string;
  amr: string[];
} {
  return {
    id: session.id,
    createdAt: iso(session.createdAt),
    expiresAt: iso(session.expiresAt),
    authTime: iso(session.authTime),
    amr: [...session.amr],
  };
}
