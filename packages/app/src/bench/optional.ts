/**
 * Loads a package the bench compares against (a devDependency of Cloakroom, absent from a production
 * install): `null` when it is not installed, so its scenarios are skipped with a notice instead of failing.
 */
export async function importOptional<T>(specifier: string): Promise<T | null> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/** The notice a scenario carries when its package is missing. */
export function missingPackage(name: string): string {
  return `${name} is not installed (it is a devDependency of cloakroom: run from a checkout with npm install)`;
}
