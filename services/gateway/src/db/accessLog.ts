import { withTenant, type Database, type Logger } from '@parley/kit';
import type { AccessEntry } from '../http/server';
import { accessLog } from './schema';

export class AccessLogRepository {
  private inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  /** Writes after the response is sent; a failed write is logged, never turned into a failed request. */
  record(entry: AccessEntry): void {
    const write = withTenant(this.db, entry.caller.tenantId, (tx) =>
      tx.insert(accessLog).values({
        tenantId: entry.caller.tenantId,
        principal: entry.caller.principal,
        method: entry.method,
        route: entry.route,
        status: entry.status,
        durationMs: entry.durationMs,
        ip: entry.ip,
        userAgent: entry.userAgent.slice(0, 500),
      }),
    ).catch((error: unknown) => this.log.warn({ err: error }, 'access log write failed'));
    this.inFlight.add(write);
    void write.finally(() => this.inFlight.delete(write));
  }

  /** Waits for writes still under way (at shutdown, before the pool closes). */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
