/**
 * The site's optional backends (`ioredis` for CLOAKROOM_STORE, `pg` for CLOAKROOM_DATABASE_URL) are peer
 * dependencies a user installs only when they use them, so they are imported on first use, never at start-up:
 * a site on the embedded SQLite store runs without either installed.
 */

/** An optional package the configuration asks for is not installed; the message says what to install. */
export class MissingPackageError extends Error {
  override readonly name = 'MissingPackageError';
  readonly code = 'missing_package';

  constructor(
    readonly packageName: string,
    purpose: string,
    options?: ErrorOptions,
  ) {
    super(
      `${purpose} needs the package ${packageName}, which is not installed: npm install ${packageName}`,
      options,
    );
  }
}

/**
 * Imports `name`, or throws a {@link MissingPackageError} naming it when it is not installed. Any other
 * failure (a broken install, a missing dependency of the package itself) propagates unchanged.
 *
 * @example
 * const { Redis } = await importBackend<typeof import('ioredis')>('ioredis', 'CLOAKROOM_STORE=redis://…');
 */
export async function importBackend<T>(name: string, purpose: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if (isMissing(error, name)) throw new MissingPackageError(name, purpose, { cause: error });
    throw error;
  }
}

/** Whether `error` says that `name` itself (not something it imports) cannot be found. */
function isMissing(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return error.message.includes(`'${name}'`);
}
