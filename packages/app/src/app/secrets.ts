import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The site's generated secrets, kept in `<dataDir>/secrets.json` with mode 0600 and never logged. */
export interface AppSecrets {
  /** Session cookie keys, newest first (see the session guide on rotation). */
  sessionKeys: string[];
}

export function loadOrCreateSecrets(dataDir: string): AppSecrets {
  const file = join(dataDir, 'secrets.json');
  if (!existsSync(file)) {
    const secrets: AppSecrets = { sessionKeys: [randomBytes(32).toString('base64url')] };
    // 'wx': never overwrite a file another process created meanwhile.
    try {
      writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(file, 0o600);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<AppSecrets>;
  const keys = parsed.sessionKeys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((key) => typeof key === 'string' && key.length >= 32)
  ) {
    throw new Error(`${file} has no usable sessionKeys (a list of secrets of 32+ characters)`);
  }
  return { sessionKeys: keys };
}
