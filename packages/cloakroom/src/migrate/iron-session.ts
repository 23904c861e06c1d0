import { webcrypto } from 'node:crypto';
import type { RequestInfo } from '../session/index.js';
import { clearLegacyCookie, legacyCookie, readLegacyCookie } from './cookie.js';
import { dotPath, replayKey, valueAt } from './hash.js';
import type {
  FoundCredential,
  LegacyCookie,
  LegacyRefusalReason,
  LegacySource,
  VerifyResult,
} from './types.js';

let ironWebcrypto: Promise<typeof import('iron-webcrypto')> | null = null;

/**
 * `iron-webcrypto` is an optional peer (only this source needs it), so it is loaded on first use and
 * `cloakroom/migrate` imports without it installed.
 */
function loadIronWebcrypto(): Promise<typeof import('iron-webcrypto')> {
  ironWebcrypto ??= import('iron-webcrypto').catch((error: unknown) => {
    ironWebcrypto = null;
    throw new Error(
      "cloakroom/migrate: the iron-session source needs the optional peer 'iron-webcrypto' (npm install iron-webcrypto)",
      { cause: error },
    );
  });
  return ironWebcrypto;
}

/** Options of {@link ironSessionSource}. */
export interface IronSessionSourceOptions {
  /** iron-session's `cookieName`. */
  cookie: string | LegacyCookie;
  /**
   * iron-session's `password`: one password, or the map used for rotation (`{ 2: 'new…', 1: 'old…' }`); a
   * seal names the id it was made with. Each at least 32 characters.
   */
  passwords: string | Readonly<Record<string, string>>;
  /** The dot path to the user in the session data, e.g. `email` or `user.id`. */
  userField: string;
  /** Default `iron-session`. */
  name?: string;
}

/** iron-session appends `~2` to seals since v8 (v6 and v7 seals have no suffix and wrap data in `persistent`). */
const VERSION_DELIMITER = '~';
const MAX_SEAL_LENGTH = 8192;

/**
 * Legacy iron-session cookies (v6, v7 and v8 seals), unsealed with `iron-webcrypto`, iron-session's own
 * sealing library, against the password map. A seal's own expiry is checked, and caps the new session.
 *
 * @example
 * ```ts
 * const source = ironSessionSource({ cookie: 'app_session', passwords: { 2: newPassword, 1: oldPassword },
 *   userField: 'email' });
 * ```
 */
export function ironSessionSource(options: IronSessionSourceOptions): LegacySource {
  const cookie = legacyCookie(options.cookie, 'cookie');
  const given: unknown = options.passwords;
  const passwords: Record<string, string> =
    typeof given === 'string' ? { 1: given } : { ...(given as Record<string, string>) };
  if (
    typeof given !== 'string' &&
    (typeof given !== 'object' || given === null || Object.keys(passwords).length === 0)
  ) {
    throw new TypeError('passwords must be a password or a map of password id to password');
  }
  for (const [id, password] of Object.entries(passwords)) {
    if (typeof password !== 'string' || password.length < 32) {
      throw new TypeError(`passwords.${id} must be at least 32 characters`);
    }
  }
  const userField = dotPath(options.userField, 'userField');
  const name = options.name ?? 'iron-session';

  return {
    name,
    find(info: RequestInfo): FoundCredential | null {
      const value = readLegacyCookie(info.cookie, cookie.name);
      return value === null ? null : { value, via: 'cookie' };
    },
    async verify(value: string, now: number): Promise<VerifyResult> {
      if (value.length > MAX_SEAL_LENGTH) return { ok: false, reason: 'malformed' };
      const [seal = '', version] = value.split(VERSION_DELIMITER);
      if (value.split(VERSION_DELIMITER).length > 2 || (version !== undefined && version !== '2')) {
        return { ok: false, reason: 'malformed' };
      }
      const { defaults, unseal } = await loadIronWebcrypto();
      let unsealed: unknown;
      try {
        unsealed = await unseal(webcrypto, seal, passwords, {
          ...defaults,
          localtimeOffsetMsec: now - Date.now(),
        });
      } catch (error) {
        return { ok: false, reason: reasonOf(error) };
      }
      const data = version === '2' ? unsealed : valueAt(unsealed, ['persistent']);
      if (typeof data !== 'object' || data === null) return { ok: false, reason: 'claims' };
      const subject = valueAt(data, userField);
      if (typeof subject !== 'string' || subject.length === 0 || subject.length > 320) {
        return { ok: false, reason: 'claims' };
      }
      return {
        ok: true,
        credential: {
          subject,
          expiresAt: sealExpiry(seal),
          replayKey: replayKey(name, seal),
          data: data as Record<string, unknown>,
        },
      };
    },
    clearCookie() {
      return clearLegacyCookie(cookie);
    },
  };
}

/** The expiry an iron seal carries (its sixth `*` part, ms since the epoch), or `null` for none. */
function sealExpiry(seal: string): number | null {
  const expiration = seal.split('*')[5];
  if (expiration === undefined || !/^\d{1,16}$/.test(expiration)) return null;
  return Number(expiration);
}

function reasonOf(error: unknown): LegacyRefusalReason {
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('Expired seal')) return 'expired';
  if (/^(Bad hmac value|Cannot find password)/.test(message)) return 'bad_signature';
  return 'malformed';
}
