/**
 * A promise held to a time limit: what `p` settles with, or — when `ms` pass first — what `late()`
 * gives (a throw rejects). The timer keeps no process alive. A rejection that is not an Error is
 * made one.
 */
export function withTimeout<T, U>(p: PromiseLike<T>, ms: number, late: () => U): Promise<T | U> {
  return new Promise<T | U>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    }, ms);
    timer.unref?.();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
