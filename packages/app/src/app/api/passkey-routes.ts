import { z } from 'zod';
import { InvalidCodeError, InvalidPasskeyError, InvalidRequestError, UnauthenticatedError } from 'cloakroom';
import { emitEvent } from 'cloakroom/events';
import type { PasskeyRecord, Passkeys } from 'cloakroom/accounts';
import { PreLoginCookie } from 'cloakroom/federation';
import { BROWSER_SESSION_ONLY } from '../http/auth.js';
import type { RequestContext } from '../http/context.js';
import { assertRecentAuth } from '../http/recent-auth.js';
import { notFound } from '../http/errors.js';
import type { AppUser } from '../http/env.js';
import { declaresBody } from '../http/body.js';
import { readJson, refuseNonJsonBody } from '../http/json-body.js';
import { json, noContent } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import type { AppServices } from '../services.js';
import { reauthMethods } from './reauth-methods.js';
import { extraSecondFactorMethods } from '../mfa/sign-in.js';

/** How long a passkey ceremony may take, from its options to its response (the challenge's life). */
const CEREMONY_SECONDS = 300;

const anyObject = z.record(z.string(), z.unknown());
const emptyObject = z.strictObject({});
const nameSchema = z.string().max(200).optional();

const iso = (ms: number) => new Date(ms).toISOString();

/** A passkey as the API shows it: never its public key or counter. */
export const passkeyView = (passkey: PasskeyRecord) => ({
  id: passkey.id,
  name: passkey.name,
  createdAt: iso(passkey.createdAt),
  lastUsedAt: passkey.lastUsedAt === null ? null : iso(passkey.lastUsedAt),
  synced: passkey.backupEligible,
});

/**
 * The cookie that holds an assertion's challenge handle between its options and its response (HttpOnly,
 * five minutes, `__Host-` on https). It holds a random handle only; the challenge stays on the server.
 */
export function passkeyCookie(services: AppServices): PreLoginCookie {
  return new PreLoginCookie(services.config.origin, 'cloakroom-passkey');
}

function signedIn(ctx: RequestContext): { user: AppUser } {
  const { user, session } = ctx.session;
  if (user === null || session === null) throw new UnauthenticatedError();
  return { user };
}

/** `sign_in.failed` (reason `invalid_passkey`, method `passkey`) for a refused passwordless sign-in. */
function passkeySignInFailed(ctx: RequestContext, services: AppServices): void {
  const { onEvent, clock } = services.sessions.config;
  if (onEvent === null) return;
  emitEvent(onEvent, {
    type: 'sign_in.failed',
    at: clock.now(),
    ip: ctx.ip,
    userAgent: ctx.header('user-agent') ?? null,
    reason: 'invalid_passkey',
    method: 'passkey',
  });
}

/** An options request takes no body, or `{}`. */
async function readNoBody(ctx: RequestContext): Promise<void> {
  if (declaresBody(ctx.req)) await readJson(ctx, emptyObject);
  else refuseNonJsonBody(ctx);
}

/**
 * Starts an assertion: request options for `purpose`, the challenge's handle in the passkey cookie.
 * Shared by the passwordless sign-in and re-authentication.
 */
export async function startAssertion(
  ctx: RequestContext,
  services: AppServices,
  purpose: Parameters<Passkeys['authenticationOptions']>[0],
  userId: string | null,
): Promise<Record<string, unknown>> {
  const { options, handle } = await services.passkeys.authenticationOptions(purpose, userId);
  ctx.setCookies.push(passkeyCookie(services).serialize(handle, CEREMONY_SECONDS));
  return options;
}

/** The passkey cookie's handle (cleared in the answer: a challenge serves one response, whatever its fate). */
export function takeAssertionHandle(ctx: RequestContext, services: AppServices): string | null {
  const cookie = passkeyCookie(services);
  ctx.setCookies.push(cookie.clear());
  return cookie.read(ctx.header('cookie'));
}

// A user with two-factor on and a passkey may finish a password sign-in with the passkey.
extraSecondFactorMethods.push(async (services, userId) =>
  (await services.passkeys.list(userId)).length > 0 ? ['passkey'] : [],
);

/**
 * The passkey routes of the JSON API (docs/passkeys.md): registration and the list while signed in,
 * removal after a recent sign-in, and the passwordless sign-in with a discoverable passkey. Every failed
 * verification is 400 `invalid_passkey`.
 */
export function passkeyRoutes(router: AppRouter, services: AppServices): void {
  const { passkeys } = services;

  // Re-authentication by assertion: `POST /api/auth/passkeys/reauth/options`, then `POST /api/auth/reauth`
  // with `{passkey: <the assertion>}` (user verification required, the user's own passkeys only).
  reauthMethods(services).add({
    name: 'passkey',
    field: 'passkey',
    async verify(ctx, body) {
      const { user } = signedIn(ctx);
      const handle = takeAssertionHandle(ctx, services);
      // Failures count on the sign-in throttle by client address, as the other proofs' do (429
      // `too_many_attempts`): a stolen session cannot try assertions without limit.
      const { amr } = await services.accounts.throttleByAddress(ctx.session, () =>
        passkeys.authenticate(handle, body.passkey, { purpose: 'reauthenticate', userId: user.id }),
      );
      await services.accounts.assertCanSignIn(user.id);
      return [amr];
    },
  });

  router.route(
    '/api/auth/passkeys/reauth/options',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        const { user } = signedIn(ctx);
        await readNoBody(ctx);
        return json(await startAssertion(ctx, services, 'reauthenticate', user.id), 200);
      },
    },
  );

  router.route(
    '/api/auth/passkeys/register/options',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        const { user } = signedIn(ctx);
        assertRecentAuth(ctx);
        await readNoBody(ctx);
        return json(await passkeys.registrationOptions(user), 200);
      },
    },
  );

  router.route(
    '/api/auth/passkeys/register',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        const { user } = signedIn(ctx);
        assertRecentAuth(ctx);
        // The attestation response as `PublicKeyCredential.toJSON()` gives it, with an optional `name`.
        const body = await readJson(ctx, anyObject);
        const name = nameSchema.safeParse(body.name);
        if (!name.success)
          throw new InvalidRequestError('The name must be a string of at most 200 characters.', 'name');
        const passkey = await passkeys.register(user.id, body, { name: name.data });
        return json(
          { passkey: { id: passkey.id, name: passkey.name, createdAt: iso(passkey.createdAt) } },
          201,
        );
      },
    },
  );

  router.route(
    '/api/auth/passkeys',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      GET: async (ctx) => {
        const { user } = signedIn(ctx);
        return json({ passkeys: (await passkeys.list(user.id)).map(passkeyView) });
      },
    },
  );

  router.route(
    '/api/auth/passkeys/:id',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      DELETE: async (ctx) => {
        refuseNonJsonBody(ctx);
        const { user } = signedIn(ctx);
        assertRecentAuth(ctx);
        const id = ctx.params.id;
        if (id === undefined || !(await passkeys.remove(user.id, id))) throw notFound();
        return noContent();
      },
    },
  );

  router.route(
    '/api/auth/passkeys/login/options',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        ctx.session.assertLoginOrigin();
        await readNoBody(ctx);
        return json(await startAssertion(ctx, services, 'sign_in', null), 200);
      },
    },
  );

  // The second step of a password sign-in with two-factor on: options for the pending user's passkeys
  // (the pending cookie; none or a stale one: 401 `invalid_code`), then `POST /api/auth/login/mfa {passkey}`.
  router.route(
    '/api/auth/login/mfa/passkey/options',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        ctx.session.assertLoginOrigin();
        await readNoBody(ctx);
        const token = services.pendingCookie.read(ctx.header('cookie'));
        const pending = await services.twoFactor.findPendingSignIn(token);
        if (pending === null) throw new InvalidCodeError();
        return json(await startAssertion(ctx, services, 'second_factor', pending.userId), 200);
      },
    },
  );

  router.route(
    '/api/auth/passkeys/login',
    { errors: 'json', auth: BROWSER_SESSION_ONLY },
    {
      POST: async (ctx) => {
        ctx.session.assertLoginOrigin();
        const handle = takeAssertionHandle(ctx, services);
        const body = await readJson(ctx, anyObject);
        // Failures count on the sign-in throttle by client address (429 `too_many_attempts`).
        const { userId, amr } = await services.accounts.throttleByAddress(ctx.session, async () => {
          try {
            return await passkeys.authenticate(handle, body, { purpose: 'sign_in' });
          } catch (error) {
            if (error instanceof InvalidPasskeyError) passkeySignInFailed(ctx, services);
            throw error;
          }
        });
        // Locked (`cloakroom admin lock`) or gone: refused after the passkey's proof, like the other paths.
        const account = await services.accounts.assertCanSignIn(userId);
        const user = { id: account.id, email: account.email };
        await ctx.session.signIn(user.id, user, { method: 'passkey', amr: [amr] });
        return json({ user }, 200);
      },
    },
  );
}
