import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import { withTenant, type Database, type Transaction } from '@parley/kit';
import { auditLog } from './schema';
import { ChainVerifier, entryHash, GENESIS_HASH, type AuditEntryInput } from '../domain/auditChain';

export type AuditRow = typeof auditLog.$inferSelect;

/**
 * The append-only, hash-chained audit log: each entry's hash covers the previous entry's hash, so
 * changing or removing a row breaks the chain from there on. Appends take a per-tenant transaction lock,
 * so concurrent writers chain one after another.
 */
export class AuditLog {
  constructor(private readonly db: Database) {}

  /**
   * Takes the tenant's chain lock for the rest of the transaction (appends take it too; taking it again is
   * free). A transaction that changes a request and then appends must take it first: receipts append and
   * then change the request, and the opposite order deadlocks with them.
   */
  async lockChain(tx: Transaction, tenantId: string): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`audit:${tenantId}`}))`);
  }

  /** `append` with its fields in order: the request workflow's and the receipts' way of writing an entry. */
  record(
    tx: Transaction,
    tenantId: string,
    actor: string,
    action: string,
    requestId: string | undefined,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.append(tx, { tenantId, actor, action, requestId, details });
  }

  async append(tx: Transaction, entry: Omit<AuditEntryInput, 'at'> & { at?: Date }): Promise<void> {
    const complete: AuditEntryInput = { ...entry, at: entry.at ?? new Date() };
    await this.lockChain(tx, entry.tenantId);
    const [last] = await tx
      .select({ hash: auditLog.hash })
      .from(auditLog)
      .where(eq(auditLog.tenantId, entry.tenantId))
      .orderBy(desc(auditLog.id))
      .limit(1);
    const prevHash = last?.hash ?? GENESIS_HASH;
    await tx.insert(auditLog).values({
      tenantId: complete.tenantId,
      at: complete.at,
      actor: complete.actor,
      action: complete.action,
      requestId: complete.requestId ?? null,
      details: complete.details,
      prevHash,
      hash: entryHash(prevHash, complete),
    });
  }

  async list(
    tenantId: string,
    size: number,
    before: number | undefined,
    requestId?: string,
  ): Promise<AuditRow[]> {
    return withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(auditLog)
        .where(
          and(
            before ? lt(auditLog.id, before) : undefined,
            requestId ? eq(auditLog.requestId, requestId) : undefined,
          ),
        )
        .orderBy(desc(auditLog.id))
        .limit(size + 1),
    );
  }

  /** Recomputes the chain in id order, a thousand rows at a time. */
  async verify(tenantId: string) {
    const verifier = new ChainVerifier();
    let after = 0;
    for (;;) {
      const rows = await withTenant(this.db, tenantId, (tx) =>
        tx.select().from(auditLog).where(gt(auditLog.id, after)).orderBy(asc(auditLog.id)).limit(1000),
      );
      for (const row of rows) {
        verifier.add({ ...row, id: String(row.id), requestId: row.requestId ?? undefined });
      }
      if (rows.length < 1000) return verifier.result();
      after = rows[rows.length - 1]!.id;
    }
  }
}
