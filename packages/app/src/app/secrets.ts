import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The site's generated secrets, kept in `<dataDir>/secrets.json` with mode 0600 and never logged. */
export interface AppSecrets {
  /** Session cookie keys, newest first (see the session guide on rotation). */
  sessionKeys: string[];
  /**
   * The keys that encrypt TOTP secrets at rest, first one encrypting (docs/two-factor.md): `mfaKeys` in
   * `secrets.json` when it has them, else `mfa-keys.json` beside it, made on first start.
   */
  mfaKeys: { id: string; secret: string }[];
}

export function loadOrCreateSecrets(dataDir: string): AppSecrets {
  const file = join(dataDir, 'secrets.json');
  if (!existsSync(file)) {
    const secrets = { sessionKeys: [randomBytes(32).toString('base64url')] };
    // 'wx': never overwrite a file another process created meanwhile.
    try {
      writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(file, 0o600);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<AppSecrets>;
  const mfaKeys = parsed.mfaKeys ?? loadOrCreateMfaKeys(dataDir);
  if (
    !Array.isArray(mfaKeys) ||
    mfaKeys.length === 0 ||
    !mfaKeys.every(
      (key) => typeof key.id === 'string' && typeof key.secret === 'string' && key.secret.length >= 32,
    )
  ) {
    throw new Error(`${file}: mfaKeys must be a list of { id, secret } with secrets of 32+ characters`);
  }
  const keys = parsed.sessionKeys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((key) => typeof key === 'string' && key.length >= 32)
  ) {
    throw new Error(`${file} has no usable sessionKeys (a list of secrets of 32+ characters)`);
  }
  return { sessionKeys: keys, mfaKeys };
}

/**
 * The TOTP encryption keys of a data folder made before two-factor sign-in (its `secrets.json` has none):
 * `mfa-keys.json`, created once (exclusively, so processes starting together share one key), mode 0600.
 */
function loadOrCreateMfaKeys(dataDir: string): AppSecrets['mfaKeys'] {
  const file = join(dataDir, 'mfa-keys.json');
  if (!existsSync(file)) {
    const keys = { mfaKeys: [{ id: '1', secret: randomBytes(32).toString('base64url') }] };
    try {
      writeFileSync(file, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(file, 0o600);
  return (JSON.parse(readFileSync(file, 'utf8')) as { mfaKeys: AppSecrets['mfaKeys'] }).mfaKeys;
}
