/**
 * Whether `value` is a thenable. Stores may answer synchronously (an in-process store's `immediate` read, a
 * user loader that has the user at hand) or with a promise; the hot paths check which, so a synchronous
 * answer costs no microtask.
 */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
