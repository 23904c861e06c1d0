/** `promise`, or a rejection after `ms` if it has not settled by then (the timer never keeps Node alive). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
    timer.unref();
  });
  return Promise.race([promise, expired]).finally(() => {
    clearTimeout(timer);
  });
}
