import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJsonAnswer } from '../lib/send-json.js';
import { authenticateBearer, bearerErrorOf, type AuthenticateOptions } from './bearer.js';
import type { TokenVerifier, VerifiedAccessToken } from './verify.js';

/**
 * Verifies a `node:http` request's bearer token (node keeps the first `Authorization` header and drops repeats).
 * Rejects like `authenticateBearer`; answer with {@link sendBearerError}.
 *
 * @example
 * ```ts
 * http.createServer(async (req, res) => {
 *   try {
 *     const { claims } = await accessTokenOfNode(verifier, req, { scope: 'notes:read' });
 *     res.end(`hello ${claims.sub}`);
 *   } catch (error) {
 *     if (!sendBearerError(res, error)) throw error;
 *   }
 * });
 * ```
 */
export function accessTokenOfNode(
  verifier: TokenVerifier,
  req: IncomingMessage,
  options: AuthenticateOptions = {},
): Promise<VerifiedAccessToken> {
  return authenticateBearer(verifier, req.headers.authorization, options);
}

/** Answers an authentication failure per RFC 6750; `false` (nothing sent) for other errors. */
export function sendBearerError(
  res: ServerResponse,
  error: unknown,
  options: { realm?: string } = {},
): boolean {
  const answer = bearerErrorOf(error, options);
  if (answer === null) return false;
  sendJsonAnswer(res, answer);
  return true;
}
