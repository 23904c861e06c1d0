import { z } from 'zod';
import { InvalidCredentialsError, InvalidRequestError, UnauthenticatedError, type Session } from 'cloakroom';
import type { RequestContext } from '../http/context.js';
import { BROWSER_SESSION_ONLY } from '../http/auth.js';
import { readJson } from '../http/json-body.js';
import { json } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import { reauthenticateWithSecondFactor } from './mfa-routes.js';
import { reauthMethods, type ReauthMethod } from './reauth-methods.js';
import { sessionView } from './session-view.js';

const anyObject = z.record(z.string(), z.unknown());
const passwordSchema = z.strictObject({ password: z.string() });

/**
 * The password method: the signed-in user's current password, checked and throttled like a sign-in (401
 * `invalid_credentials`, 429 `too_many_attempts`). An account without a password (federated only) cannot
 * use it: it re-authenticates by signing in with its provider again.
 */
export function passwordReauthMethod(services: AppServices): ReauthMethod {
  return {
    name: 'password',
    field: 'password',
    async verify(ctx, body) {
      const parsed = passwordSchema.safeParse(body);
      if (!parsed.success) throw new InvalidRequestError('Send only the password.', 'password');
      const user = await services.accounts.confirmPassword(ctx.session, parsed.data.password);
      // confirmPassword lets a password-less account through on a fresh session; proving it again needs one.
      if (user.passwordHash === null) throw new InvalidCredentialsError();
      return ['pwd'];
    },
  };
}

/**
 * The second-factor methods of two-factor sign-in (docs/two-factor.md): `{code}` (TOTP) and
 * `{recoveryCode}`, checked and throttled like the sign-in step, adding `otp` to the session's `amr`.
 */
export function secondFactorReauthMethods(services: AppServices): ReauthMethod[] {
  const method = (name: string, field: string): ReauthMethod => ({
    name,
    field,
    async verify(ctx, body) {
      const verified = await reauthenticateWithSecondFactor(services, ctx, body);
      if (verified === null) throw new InvalidRequestError(`Send only the ${field}.`, field);
      return verified.amr;
    },
  });
  return [method('totp', 'code'), method('recovery_code', 'recoveryCode')];
}

/**
 * Re-authenticates the signed-in user with the method `body` selects; resolves to the rotated session (a new
 * id and token, `authTime` now, the method's `amr` added). `InvalidRequestError` when the body selects no
 * method or several; the method's own error when the proof is wrong.
 */
export async function reauthenticate(
  ctx: RequestContext,
  services: AppServices,
  body: Readonly<Record<string, unknown>>,
): Promise<Session> {
  if (ctx.session.session === null) throw new UnauthenticatedError();
  const method = reauthMethods(services).select(body);
  if (method === null) {
    const fields = reauthMethods(services)
      .list()
      .map((m) => m.field);
    throw new InvalidRequestError(`Send exactly one of: ${fields.join(', ')}.`);
  }
  const amr = await method.verify(ctx, body);
  const session = await ctx.session.reauthenticate({ amr, method: method.name });
  if (session === null) throw new UnauthenticatedError();
  return session;
}

/**
 * `POST /api/auth/reauth`: the signed-in user proves who they are again (`{password}`, or another
 * registered method's body) → 200 `{session}` with the new `authTime` and a rotated cookie. It needs the
 * browser session itself, with its cross-site checks.
 */
export function reauthRoutes(router: AppRouter, services: AppServices): void {
  const methods = reauthMethods(services).add(passwordReauthMethod(services));
  for (const method of secondFactorReauthMethods(services)) methods.add(method);
  router.route(
    '/api/auth/reauth',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        if (ctx.session.session === null) throw new UnauthenticatedError();
        const body = await readJson(ctx, anyObject);
        const session = await reauthenticate(ctx, services, body);
        return json({ session: sessionView(session) }, 200);
      },
    },
  );
}
