import { withTenant, type Database, type Logger } from '@parley/kit';
import type { AccessEntry } from '../http/server';
import { accessLog } from './schema';

/** Entries are written together at most this long after their request was answered... */
const FLUSH_MS = 200;
/** ...or as soon as this many wait. */
const BATCH_SIZE = 500;

/**
 * The access log, written after the response is sent: entries are gathered for up to FLUSH_MS and written
 * with one statement per tenant (one transaction per request was a tenth of the gateway's cost under load).
 * A failed write is logged, never turned into a failed request; entries not yet written when the process is
 * killed are lost, as a write under way was before.
 */
export class AccessLogRepository {
  private waiting: AccessEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  record(entry: AccessEntry): void {
    this.waiting.push(entry);
    if (this.waiting.length >= BATCH_SIZE) this.write();
    else this.timer ??= setTimeout(() => this.write(), FLUSH_MS);
  }

  /** Writes what waits and waits for writes under way (at shutdown, before the pool closes). */
  async flush(): Promise<void> {
    this.write();
    await Promise.all([...this.inFlight]);
  }

  private write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const entries = this.waiting;
    this.waiting = [];
    const byTenant = new Map<string, AccessEntry[]>();
    for (const entry of entries) {
      const tenantEntries = byTenant.get(entry.caller.tenantId);
      if (tenantEntries) tenantEntries.push(entry);
      else byTenant.set(entry.caller.tenantId, [entry]);
    }
    for (const [tenantId, tenantEntries] of byTenant) {
      const write = withTenant(this.db, tenantId, (tx) =>
        tx.insert(accessLog).values(
          tenantEntries.map((entry) => ({
            tenantId,
            principal: entry.caller.principal,
            method: entry.method,
            route: entry.route,
            status: entry.status,
            durationMs: entry.durationMs,
            ip: entry.ip,
            userAgent: entry.userAgent.slice(0, 500),
          })),
        ),
      ).catch((error: unknown) =>
        this.log.warn({ err: error, entries: tenantEntries.length }, 'access log write failed'),
      );
      this.inFlight.add(write);
      void write.finally(() => this.inFlight.delete(write));
    }
  }
}
