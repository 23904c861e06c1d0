import { CloakroomError } from '../../errors.js';

/** The RFC 6749 §5.2 / RFC 7009 / RFC 8693 error codes the token endpoints answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_token_type'
  | 'server_error'
  | 'temporarily_unavailable';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  unsupported_token_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
};

/**
 * A refusal at `/oauth/token` or `/oauth/revoke`, answered as `{"error","error_description"}`. The
 * description is fixed text: it never repeats a token, a secret or a client's input. Its `code` is the
 * OAuth error itself (`invalid_grant`, …), also kept as `error` for the wire format.
 *
 * @example
 * ```ts
 * catch (error) {
 *   if (error instanceof OAuthError) return Response.json(error.body(), { status: error.status, headers: error.headers });
 * }
 * ```
 */
export class OAuthError extends CloakroomError {
  declare readonly code: OAuthErrorCode;
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    error: OAuthErrorCode,
    description: string,
    options: { headers?: Record<string, string> } = {},
  ) {
    super(error, description);
    this.error = error;
    this.status = STATUS[error];
    this.headers = options.headers ?? {};
  }

  /** The JSON body. */
  body(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

/**
 * 401 `invalid_client` for failed HTTP Basic client authentication, with the challenge RFC 6749 §5.2
 * requires when the client tried the Authorization header.
 */
export const invalidClient = () =>
  new OAuthError('invalid_client', 'Client authentication failed.', {
    headers: { 'www-authenticate': 'Basic realm="cloakroom", charset="UTF-8"' },
  });

/** Every refused refresh token or subject token gets this one answer, whatever the reason. */
export const invalidGrant = (what: string) =>
  new OAuthError('invalid_grant', `The ${what} is invalid, expired or revoked.`);

/** Why a presented refresh token gives nothing; logged, never shown (the client only sees `invalid_grant`). */
export type RefreshRefusal =
  | 'malformed'
  | 'unknown'
  | 'wrong_secret'
  | 'expired'
  | 'revoked'
  | 'reused'
  | 'client_mismatch'
  | 'session_ended';

/** The family a reused refresh token belongs to (no secret): who it was for, and whether this use revoked it. */
export interface ReusedFamily {
  familyId: string;
  userId: string;
  clientId: string;
  sessionId: string | null;
  /** `false` when a concurrent reuse had revoked it a moment earlier. */
  revoked: boolean;
}

/** A refresh token that cannot be used: code `invalid_grant`; `reason` is for the log. */
export class RefreshRefusedError extends CloakroomError {
  declare readonly code: 'invalid_grant';
  readonly reason: RefreshRefusal;
  /** For `reused`: the family, now revoked (for the `refresh.reuse_detected` event and the log). */
  readonly family: ReusedFamily | null;

  constructor(reason: RefreshRefusal, family: ReusedFamily | null = null) {
    super('invalid_grant', `refresh token refused (${reason})`);
    this.reason = reason;
    this.family = family;
  }
}

/** Registering a client with an id that is already registered: code `client_exists`. */
export class ClientExistsError extends CloakroomError {
  declare readonly code: 'client_exists';

  constructor(id: string) {
    super('client_exists', `a client with the id ${JSON.stringify(id)} is already registered`);
  }
}
