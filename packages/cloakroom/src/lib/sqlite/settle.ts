/**
 * better-sqlite3 is synchronous: runs `work` and turns a thrown error into a rejection, so a
 * promise-returning store method never throws out of itself.
 */
export function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
