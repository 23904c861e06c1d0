import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where a keyring keeps its document (a JSON text holding private keys). Small on purpose, so a keyring can live
 * in a file (the default, {@link fileKeyringStorage}), in memory for tests, or in a database row later.
 */
export interface KeyringStorage {
  /** The stored document, or `null` when there is none yet. */
  read(): Promise<string | null>;
  /** Stores the first document; resolves `false`, changing nothing, if one exists already (another process won). */
  create(text: string): Promise<boolean>;
  /** Replaces the document atomically: a reader sees the old text or the new one, never a mix. */
  replace(text: string): Promise<void>;
}

/** The keyring file's name inside the data directory. */
export const KEYRING_FILE = 'signing-keys.json';

/**
 * Keeps the keyring in `<dir>/signing-keys.json`, readable by the owner only (0600, directory created 0700).
 * Every write goes to a temporary file in the same directory (fsynced) that is then renamed over the target, so a
 * crash never leaves a half-written keyring; the first write uses a hard link, which fails if another process
 * created the file first.
 */
export function fileKeyringStorage(dir: string): KeyringStorage {
  const path = join(dir, KEYRING_FILE);

  async function writeTemp(text: string): Promise<string> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `.${KEYRING_FILE}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The mode given to open() is filtered by the umask; make sure it is exactly 0600.
    await chmod(temp, 0o600);
    return temp;
  }

  return {
    async read() {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async create(text) {
      const temp = await writeTemp(text);
      try {
        await link(temp, path);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await unlink(temp);
      }
    },
    async replace(text) {
      const temp = await writeTemp(text);
      try {
        await rename(temp, path);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    },
  };
}

/** Keeps the keyring document in memory (tests, or a process that must not persist keys). */
export function memoryKeyringStorage(
  initial: string | null = null,
): KeyringStorage & { text: string | null } {
  const storage = {
    text: initial,
    read: () => Promise.resolve(storage.text),
    create: (text: string) => {
      if (storage.text !== null) return Promise.resolve(false);
      storage.text = text;
      return Promise.resolve(true);
    },
    replace: (text: string) => {
      storage.text = text;
      return Promise.resolve();
    },
  };
  return storage;
}
