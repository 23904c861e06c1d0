/**
 * How a signed-in user proves who they are again (`POST /api/auth/reauth` and the `/reauth` page): a small
 * registry of methods, one per kind of proof, each selected by the body field it owns. The password method
 * is registered by the reauth routes; two-factor codes and passkeys add theirs from their own modules with
 * one call, without touching the route:
 *
 * ```ts
 * reauthMethods(services).add({
 *   name: 'totp',
 *   field: 'code',
 *   verify: async (ctx, body) => { … ; return ['otp']; }, // throws its own error when the proof is wrong
 * });
 * ```
 */
import type { RequestContext } from '../http/context.js';
import type { AppServices } from '../services.js';
import type { Html } from '../pages/markup.js';

/** One way to re-authenticate. */
export interface ReauthMethod {
  /** A short name, for logs and to refuse registering the same method twice. */
  readonly name: string;
  /**
   * The body field that selects this method (`password`, `code`, `recoveryCode`, a passkey assertion's
   * `response`…). A body must carry exactly one registered method's field.
   */
  readonly field: string;
  /**
   * Checks the proof in `body` (the whole JSON body, or the page form's fields as strings) for the
   * request's signed-in user, and resolves to the RFC 8176 methods it shows (`['pwd']`, `['otp']`…). Rejects
   * with the method's own error when the proof is wrong (401 `invalid_credentials`, `invalid_code`…) or
   * throttled (429), and with `InvalidRequestError` for a malformed body.
   */
  verify(ctx: RequestContext, body: Readonly<Record<string, unknown>>): Promise<readonly string[]>;
  /**
   * Optional: what the `/reauth` page shows for this method (its own `<form method="post" action="/reauth">`
   * with the `returnTo` hidden field from `returnToField`), for the signed-in user; `null` when it does not
   * apply to them (no TOTP set up, say).
   */
  pageSection?(ctx: RequestContext, returnTo: string): Promise<Html | null>;
}

/** The methods of one running site. */
export class ReauthMethods {
  readonly #methods: ReauthMethod[] = [];

  /** Adds a method; a name or field already taken is a `TypeError` (a wiring mistake). */
  add(method: ReauthMethod): this {
    if (this.#methods.some((m) => m.name === method.name || m.field === method.field)) {
      throw new TypeError(`reauth method ${method.name} (field ${method.field}) is already registered`);
    }
    this.#methods.push(method);
    return this;
  }

  /** The methods, in the order added. */
  list(): readonly ReauthMethod[] {
    return this.#methods;
  }

  /** The one method whose field `body` carries, or `null` when it carries none or several. */
  select(body: Readonly<Record<string, unknown>>): ReauthMethod | null {
    const matching = this.#methods.filter((method) => Object.hasOwn(body, method.field));
    const [only, ...more] = matching;
    return only !== undefined && more.length === 0 ? only : null;
  }
}

const registries = new WeakMap<AppServices, ReauthMethods>();

/** The re-authentication methods of the site that `services` belongs to (made on first use). */
export function reauthMethods(services: AppServices): ReauthMethods {
  let methods = registries.get(services);
  if (methods === undefined) registries.set(services, (methods = new ReauthMethods()));
  return methods;
}
