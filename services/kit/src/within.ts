/**
 * Waits for `work` at most `ms` milliseconds: true when it settled in time (a rejection counts as settled),
 * false when the wait was given up. The work itself is not cancelled; its late outcome is ignored.
 */
export async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      gaveUp,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
