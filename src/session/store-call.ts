import { CloakroomError, StoreUnavailableError } from '../errors.js';

/**
 * Runs one store operation and turns any failure into `StoreUnavailableError`, the one error the HTTP edge
 * maps to 503. Done here, in one place, so no store's odd error can leak out as a crash or a sign-out.
 */
export async function storeCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CloakroomError) throw error;
    throw new StoreUnavailableError(operation, error);
  }
}
