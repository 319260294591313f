import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database, Transaction } from '@parley/kit';
import { inboundParts, optOuts, type InboundPartRow, type Keyword } from './schema';

type Executor = Database | Transaction;

export type PartOutcome =
  { state: 'duplicate' } | { state: 'waiting' } | { state: 'complete'; parts: InboundPartRow[] };

/** Parts of inbound messages until they are whole, and the duplicate check after (migration 0004). */
export class InboundPartRepository {
  /**
   * Adds a part under its group (serialised per group by an advisory lock, so two parts arriving at once
   * see each other): `duplicate` when this part is held already or the group was made whole within
   * `windowMs`, `complete` with every part when it was the last one missing, else `waiting`. A group made
   * whole longer ago is a different message: its rows are replaced.
   */
  async add(
    tx: Transaction,
    part: Omit<InboundPartRow, 'messageId' | 'receivedAt'>,
    windowMs: number,
  ): Promise<PartOutcome> {
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtextextended(${`inbound:${part.tenantId}:${part.groupKey}`}, 0))`,
    );
    const group = and(eq(inboundParts.tenantId, part.tenantId), eq(inboundParts.groupKey, part.groupKey));
    const held = await tx
      .select({
        seq: inboundParts.seq,
        messageId: inboundParts.messageId,
        fresh: sql<boolean>`${inboundParts.receivedAt} > clock_timestamp() - ${windowMs} * interval '1 millisecond'`,
      })
      .from(inboundParts)
      .where(group);
    const finished = held.find((row) => row.messageId !== null);
    if (finished?.fresh) return { state: 'duplicate' };
    if (finished) await tx.delete(inboundParts).where(group);
    else if (held.some((row) => row.seq === part.seq)) return { state: 'duplicate' };
    await tx.insert(inboundParts).values(part);
    const alive = finished ? 1 : held.length + 1;
    if (alive < part.total) return { state: 'waiting' };
    return { state: 'complete', parts: await tx.select().from(inboundParts).where(group) };
  }

  /** Marks the group whole with its message; the texts go (the message holds them now). */
  async finish(tx: Transaction, tenantId: string, groupKey: string, messageId: string): Promise<void> {
    await tx
      .update(inboundParts)
      .set({ messageId, text: null })
      .where(and(eq(inboundParts.tenantId, tenantId), eq(inboundParts.groupKey, groupKey)));
  }

  /** Groups made whole, or left waiting, more than a day ago (housekeeping, across tenants). */
  async purge(db: Executor): Promise<number> {
    const gone = await db.execute(
      sql`delete from inbound_parts where received_at < now() - interval '1 day'`,
    );
    return gone.rowCount ?? 0;
  }
}

/** The opt-out list (migration 0004): recipients only as keyed subject hashes. */
export class OptOutRepository {
  /** True when a recipient (one of `hashes`, under every subject hash key) opted out of `number`. */
  async isOptedOut(tx: Transaction, number: string, hashes: string[]): Promise<boolean> {
    if (hashes.length === 0) return false;
    const [row] = await tx
      .select({ optedOut: optOuts.optedOut })
      .from(optOuts)
      .where(
        and(eq(optOuts.number, number), inArray(optOuts.recipientHash, hashes), eq(optOuts.optedOut, true)),
      )
      .limit(1);
    return row !== undefined;
  }

  /**
   * Records an opt-out or an opt-in: the recipient's row for `number` (found under any key) changes, or a
   * row under the current key's hash is made.
   */
  async record(
    tx: Transaction,
    change: {
      tenantId: string;
      number: string;
      hashes: string[];
      currentHash: string;
      optedOut: boolean;
      keyword: Keyword;
      sourceMessageId: string;
    },
  ): Promise<void> {
    const values = {
      optedOut: change.optedOut,
      keyword: change.keyword,
      sourceMessageId: change.sourceMessageId,
      changedAt: sql`clock_timestamp()`,
      anonymisedAt: null,
    };
    const updated = await tx
      .update(optOuts)
      .set(values)
      .where(and(eq(optOuts.number, change.number), inArray(optOuts.recipientHash, change.hashes)))
      .returning({ number: optOuts.number });
    if (updated.length > 0) return;
    await tx
      .insert(optOuts)
      .values({
        tenantId: change.tenantId,
        number: change.number,
        recipientHash: change.currentHash,
        ...values,
      })
      .onConflictDoUpdate({ target: [optOuts.tenantId, optOuts.number, optOuts.recipientHash], set: values });
  }
}
