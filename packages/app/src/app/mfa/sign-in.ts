import type { AccountUser, Credentials, SecondFactorInput } from 'cloakroom/accounts';
import { InvalidCodeError, InvalidPasskeyError, TooManyAttemptsError } from 'cloakroom';
import { emitEvent } from 'cloakroom/events';
import type { RequestContext } from '../http/context.js';
import type { AppServices } from '../services.js';

/** What a password sign-in came to: signed in, or waiting for its second step (the pending cookie is set). */
export type PasswordSignIn =
  { mfaRequired: false; user: AccountUser } | { mfaRequired: true; methods: string[] };

/**
 * More second-step methods a user may have (passkeys add `passkey` here), asked after the password. Each
 * resolves the methods it offers for the user, or none.
 */
export const extraSecondFactorMethods: ((services: AppServices, userId: string) => Promise<string[]>)[] = [];

/** The second-step methods of a user with two-factor on: `totp`, `recovery_code`, and any extra ones. */
export async function secondFactorMethods(services: AppServices, userId: string): Promise<string[]> {
  const extra = await Promise.all(extraSecondFactorMethods.map((methods) => methods(services, userId)));
  return ['totp', 'recovery_code', ...extra.flat()];
}

/**
 * The site's password sign-in, for the JSON API and the sign-in form alike: checks the password
 * (throttled); without two-factor, signs the request in (`amr: ['pwd']`); with it, starts the pending
 * second step and sets its cookie, which grants nothing else.
 */
export async function signInWithPassword(
  services: AppServices,
  ctx: RequestContext,
  input: Credentials,
): Promise<PasswordSignIn> {
  const { accounts, twoFactor, pendingCookie } = services;
  const user = await accounts.verifyCredentials(ctx.session, input);
  if (!(await twoFactor.isEnabled(user.id))) {
    await ctx.session.signIn(user.id, user, { method: 'password', amr: ['pwd'] });
    return { mfaRequired: false, user };
  }
  const { token, maxAgeSeconds } = await twoFactor.beginSignIn(user.id, ['pwd']);
  ctx.setCookieSink(pendingCookie.serialize(token, maxAgeSeconds));
  return { mfaRequired: true, methods: await secondFactorMethods(services, user.id) };
}

/**
 * The second-step methods of the request's live pending sign-in (`totp`, `recovery_code`, `passkey`…), or
 * `null` when it carries none (no pending cookie, or a used or expired one).
 */
export async function pendingSignInMethods(
  services: AppServices,
  ctx: RequestContext,
): Promise<string[] | null> {
  const token = services.pendingCookie.read(ctx.header('cookie'));
  const pending = token === null ? null : await services.twoFactor.findPendingSignIn(token);
  return pending === null ? null : secondFactorMethods(services, pending.userId);
}

/**
 * The second step: the pending cookie's sign-in completed with a TOTP or recovery code (401 `invalid_code`
 * otherwise, 429 when throttled), the request signed in with a new session (`amr` pwd, otp, mfa), and the
 * pending cookie cleared.
 */
export async function completeSignIn(
  services: AppServices,
  ctx: RequestContext,
  input: SecondFactorInput,
): Promise<AccountUser> {
  const { twoFactor, pendingCookie } = services;
  ctx.session.assertLoginOrigin();
  const token = pendingCookie.read(ctx.header('cookie'));
  let done;
  try {
    done = await twoFactor.completeSignIn(token, input, ctx.ip);
  } catch (error) {
    const method = input.recoveryCode === undefined ? 'totp' : 'recovery_code';
    await secondStepRefused(services, ctx, token, method, error);
    throw error;
  }
  return finishSignIn(services, ctx, done);
}

/**
 * The second step with a passkey (docs/passkeys.md): the pending cookie's sign-in completed with an
 * assertion for the challenge of `handle` (made by `authenticationOptions('second_factor', userId)` for the
 * pending user). A failed assertion is 400 `invalid_passkey`, counted on the sign-in throttle (429 when
 * throttled) and the pending step kept; success signs in with `amr` pwd, hwk or swk, mfa.
 */
export async function completeSignInWithPasskey(
  services: AppServices,
  ctx: RequestContext,
  handle: string | null,
  assertion: unknown,
): Promise<AccountUser> {
  const { twoFactor, pendingCookie, passkeys } = services;
  ctx.session.assertLoginOrigin();
  const token = pendingCookie.read(ctx.header('cookie'));
  let done;
  try {
    done = await twoFactor.completeSignInWith(token, ctx.ip, async (user) => {
      const expected = { purpose: 'second_factor', userId: user.id } as const;
      const { amr } = await passkeys.authenticate(handle, assertion, expected);
      return [amr];
    });
  } catch (error) {
    await secondStepRefused(services, ctx, token, 'passkey', error);
    throw error;
  }
  return finishSignIn(services, ctx, done);
}

async function finishSignIn(
  services: AppServices,
  ctx: RequestContext,
  done: { user: AccountUser; amr: string[] },
): Promise<AccountUser> {
  const { pendingCookie, accounts } = services;
  // Locked (`cloakroom admin lock`) between the password and the code: refused here too (403).
  await accounts.assertCanSignIn(done.user.id);
  await ctx.session.signIn(done.user.id, done.user, { method: 'password', amr: done.amr });
  ctx.setCookieSink(pendingCookie.clear());
  return done.user;
}

/**
 * `sign_in.failed` (reason `invalid_code` or `invalid_passkey`) or `sign_in.throttled` for a refused second step, with the user
 * when the pending sign-in is still there (one more read, on the failure path only). Never the code.
 */
async function secondStepRefused(
  services: AppServices,
  ctx: RequestContext,
  token: string | null,
  method: 'totp' | 'recovery_code' | 'passkey',
  error: unknown,
): Promise<void> {
  const { onEvent } = services.sessions.config;
  if (onEvent === null) return;
  const failed = error instanceof InvalidCodeError || error instanceof InvalidPasskeyError;
  if (!failed && !(error instanceof TooManyAttemptsError)) return;
  const pending = await services.twoFactor.findPendingSignIn(token).catch(() => null);
  const common = {
    at: services.sessions.config.clock.now(),
    ...(pending === null ? {} : { userId: pending.userId }),
    ip: ctx.ip,
    userAgent: ctx.header('user-agent') ?? null,
  };
  if (error instanceof TooManyAttemptsError) {
    emitEvent(onEvent, {
      type: 'sign_in.throttled',
      ...common,
      action: 'sign_in',
      retryAfterSeconds: error.retryAfterSeconds,
    });
    return;
  }
  emitEvent(onEvent, {
    type: 'sign_in.failed',
    ...common,
    reason: error instanceof InvalidPasskeyError ? 'invalid_passkey' : 'invalid_code',
    method,
  });
}
