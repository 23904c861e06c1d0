import { CloakroomError } from '../errors.js';
import { StoreUnavailableError } from '../stores/errors.js';

/**
 * Runs one store operation and turns any failure into `StoreUnavailableError`, the one error the HTTP edge
 * maps to 503. Done here, in one place, so no store's odd error can leak out as a crash or a sign-out.
 */
export async function storeCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storeFailure(operation, error);
  }
}

/** The error to throw for a failed store operation; for hot paths that catch inline instead of {@link storeCall}. */
export function storeFailure(operation: string, error: unknown): CloakroomError {
  return error instanceof CloakroomError ? error : new StoreUnavailableError(operation, error);
}
