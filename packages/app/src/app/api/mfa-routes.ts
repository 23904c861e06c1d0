import { z } from 'zod';
import { UnauthenticatedError } from 'cloakroom';
import { BROWSER_SESSION_ONLY } from '../http/auth.js';
import type { RequestContext } from '../http/context.js';
import { assertRecentAuth } from '../http/recent-auth.js';
import type { AppUser } from '../http/env.js';
import { readJson, refuseNonJsonBody } from '../http/json-body.js';
import { json, noContent } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import { completeSignIn, completeSignInWithPasskey } from '../mfa/sign-in.js';
import type { AppServices } from '../services.js';
import { takeAssertionHandle } from './passkey-routes.js';

const codeSchema = z.strictObject({ code: z.string() });
/** A second factor: `{code}` (TOTP) or `{recoveryCode}`, one of the two. */
export const secondFactorSchema = z.union([
  z.strictObject({ code: z.string() }),
  z.strictObject({ recoveryCode: z.string() }),
]);
/** The second step of a sign-in: a second factor, or `{passkey: <the assertion JSON>}`. */
const secondStepSchema = z.union([
  ...secondFactorSchema.options,
  z.strictObject({ passkey: z.record(z.string(), z.unknown()) }),
]);

/** The signed-in user, or 401 `unauthenticated`. */
function signedInUser(ctx: RequestContext): AppUser {
  const { user, session } = ctx.session;
  if (user === null || session === null) throw new UnauthenticatedError();
  return user;
}

/**
 * Two-factor sign-in over JSON (docs/two-factor.md): TOTP setup, enable and removal, new recovery codes,
 * and the second step of a password sign-in. Setup, removal and new codes need a recent sign-in (401
 * `reauthentication_required` otherwise).
 */
export function mfaRoutes(router: AppRouter, services: AppServices): void {
  const { twoFactor } = services;
  const options = { errors: 'json', auth: BROWSER_SESSION_ONLY } as const;

  router.route('/api/auth/mfa/totp/setup', options, {
    POST: async (ctx) => {
      refuseNonJsonBody(ctx);
      const user = signedInUser(ctx);
      assertRecentAuth(ctx);
      return json(await twoFactor.setupTotp(user));
    },
  });

  router.route('/api/auth/mfa/totp/enable', options, {
    POST: async (ctx) => {
      const user = signedInUser(ctx);
      const input = await readJson(ctx, codeSchema);
      return json(await twoFactor.enableTotp(user.id, input));
    },
  });

  router.route('/api/auth/mfa/totp', options, {
    DELETE: async (ctx) => {
      refuseNonJsonBody(ctx);
      const user = signedInUser(ctx);
      assertRecentAuth(ctx);
      await twoFactor.disableTotp(user.id);
      return noContent();
    },
  });

  router.route('/api/auth/mfa/recovery-codes', options, {
    POST: async (ctx) => {
      refuseNonJsonBody(ctx);
      const user = signedInUser(ctx);
      assertRecentAuth(ctx);
      return json({ recoveryCodes: await twoFactor.regenerateRecoveryCodes(user.id) });
    },
  });

  router.route('/api/auth/login/mfa', options, {
    POST: async (ctx) => {
      ctx.session.assertLoginOrigin();
      const input = await readJson(ctx, secondStepSchema);
      const user =
        'passkey' in input
          ? await completeSignInWithPasskey(services, ctx, takeAssertionHandle(ctx, services), input.passkey)
          : await completeSignIn(services, ctx, input);
      return json({ user: { id: user.id, email: user.email } });
    },
  });
}

/**
 * Re-authentication with a second factor, for `POST /api/auth/reauth` `{code}` or `{recoveryCode}`:
 * checked and throttled like the sign-in step; `amr` of the factor (`otp`) is added to the session.
 * Resolves `null` for a body that is not one of these (another method's), so the route can try the next.
 */
export async function reauthenticateWithSecondFactor(
  services: AppServices,
  ctx: RequestContext,
  body: unknown,
): Promise<{ amr: string[] } | null> {
  const parsed = secondFactorSchema.safeParse(body);
  if (!parsed.success) return null;
  const user = signedInUser(ctx);
  await services.twoFactor.verifyThrottled(user, parsed.data, ctx.ip);
  return { amr: ['otp'] };
}
