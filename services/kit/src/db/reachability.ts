// Telling "the database is unreachable for now" from every other failure, and waiting it out where giving
// up would cost more than waiting (work already done outside the database that only a commit records).

/**
 * True when an error means PostgreSQL could not be reached or went away: a refused or reset connection, a
 * connection ended by the server, SQLSTATE class 08 (connection exception), 57P01-57P03 (the server is
 * shutting down, crashed, or not accepting connections yet) and 53300 (too many connections). Such an
 * error says nothing about the statement: the same transaction may succeed once the server is back.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '');
  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code)) return true;
  const message = String((error as Error)?.message ?? '');
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    message,
  );
}

/**
 * Runs `work` (a whole transaction) and, while it fails only because the database is unreachable, runs it
 * again with a doubling pause (100 ms up to 2 s) until `deadline` (ms since the epoch); any other error,
 * and the last unreachable one at the deadline, is thrown. `work` must be safe to run again: a transaction
 * whose commit was lost with the connection either committed or not, so it has to check what is there.
 */
export async function whileDatabaseUnreachable<T>(
  work: () => Promise<T>,
  deadline: number,
  onRetry?: (error: unknown) => void,
): Promise<T> {
  let pauseMs = 100;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnreachable(error) || Date.now() + pauseMs > deadline) throw error;
      onRetry?.(error);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      pauseMs = Math.min(pauseMs * 2, 2_000);
    }
  }
}
