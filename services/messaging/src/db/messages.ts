import { and, asc, desc, eq, gte, inArray, lt, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { olderThan, toPage, type Cursor, type Database, type Transaction } from '@parley/kit';
import {
  carrierParts,
  earlyReceipts,
  messages,
  messageStatusHistory,
  type MessageRow,
  type MessageStatus,
  type NewMessageRow,
  type ReceiptState,
  type StatusChangeRow,
  FINAL_STATUSES,
} from './schema';

export interface MessageFilters {
  phoneNumber?: string;
  direction?: 'outbound' | 'inbound';
  status?: MessageStatus;
  createdAfter?: Date;
  createdBefore?: Date;
}

type Executor = Database | Transaction;

export class MessageRepository {
  /** Stores a new message and the first entry of its history. */
  async insert(tx: Transaction, row: NewMessageRow & { createdAt: Date }): Promise<MessageRow> {
    const [inserted] = await tx.insert(messages).values(row).returning();
    await this.recordStatus(tx, inserted!, inserted!.status, inserted!.errorCode);
    return inserted!;
  }

  /** The message with this id (created at `createdAt`, which its UUIDv7 tells), locked when asked. */
  async find(tx: Transaction, id: string, createdAt: Date, lock = false): Promise<MessageRow | undefined> {
    const query = tx
      .select()
      .from(messages)
      .where(and(eq(messages.createdAt, createdAt), eq(messages.id, id)));
    const [row] = lock ? await query.for('update') : await query;
    return row;
  }

  /** Moves a message to `status` with `changes`, and records the step in its history. */
  async transition(
    tx: Transaction,
    row: MessageRow,
    status: MessageStatus,
    changes: Partial<
      Pick<MessageRow, 'errorCode' | 'carrierMessageIds' | 'senderClass' | 'submitStartedAt' | 'sendAt'>
    > = {},
  ): Promise<MessageRow> {
    const [updated] = await tx
      .update(messages)
      .set({ status, ...changes, updatedAt: sql`clock_timestamp()` })
      .where(and(eq(messages.createdAt, row.createdAt), eq(messages.id, row.id)))
      .returning();
    await this.recordStatus(tx, updated!, status, changes.errorCode ?? null);
    return updated!;
  }

  private async recordStatus(
    tx: Transaction,
    row: MessageRow,
    status: MessageStatus,
    errorCode: string | null,
  ): Promise<void> {
    await tx.execute(sql`
      insert into message_status_history (tenant_id, message_id, message_created_at, seq, status, error_code)
      select ${row.tenantId}, ${row.id}, ${row.createdAt}, coalesce(max(seq), 0) + 1, ${status}, ${errorCode}
        from message_status_history
       where tenant_id = ${row.tenantId} and message_created_at = ${row.createdAt} and message_id = ${row.id}`);
  }

  /** Records where an inbound message was forwarded. */
  async forwarded(tx: Transaction, row: MessageRow, target: string): Promise<MessageRow> {
    const [updated] = await tx
      .update(messages)
      .set({ forwardedTo: target })
      .where(and(eq(messages.createdAt, row.createdAt), eq(messages.id, row.id)))
      .returning();
    return updated!;
  }

  history(tx: Transaction, row: MessageRow): Promise<StatusChangeRow[]> {
    return tx
      .select()
      .from(messageStatusHistory)
      .where(
        and(
          eq(messageStatusHistory.messageCreatedAt, row.createdAt),
          eq(messageStatusHistory.messageId, row.id),
        ),
      )
      .orderBy(asc(messageStatusHistory.seq));
  }

  /** One page of the tenant's messages, newest first, narrowed by `filters`. */
  async list(tx: Transaction, filters: MessageFilters, size: number, after: Cursor | undefined) {
    const conditions: (SQL | undefined)[] = [olderThan(messages.createdAt, messages.id, after)];
    if (filters.phoneNumber)
      conditions.push(or(eq(messages.from, filters.phoneNumber), eq(messages.to, filters.phoneNumber)));
    if (filters.direction) conditions.push(eq(messages.direction, filters.direction));
    if (filters.status) conditions.push(eq(messages.status, filters.status));
    if (filters.createdAfter) conditions.push(gte(messages.createdAt, filters.createdAfter));
    if (filters.createdBefore) conditions.push(lt(messages.createdAt, filters.createdBefore));
    const rows = await tx
      .select()
      .from(messages)
      .where(and(...conditions))
      .orderBy(desc(messages.createdAt), desc(messages.id))
      .limit(size + 1);
    return toPage<MessageRow>(rows, size, (row) => ({ at: row.createdAt, id: row.id }));
  }

  /**
   * Reserves the sender's next free slot for a message occupying it `occupancyMs` and answers it; the
   * caller records it on the message (`sendAt`) in the same transaction, with the message's next change.
   * Concurrent reservations for one sender wait on its pacing row.
   */
  async reserveSlot(tx: Transaction, row: MessageRow, occupancyMs: number): Promise<Date> {
    const reserved = await tx.execute<{ slot: Date }>(sql`
      insert into sender_pacing (tenant_id, from_e164, next_free_at)
      values (${row.tenantId}, ${row.from}, clock_timestamp() + ${occupancyMs} * interval '1 millisecond')
      on conflict (tenant_id, from_e164) do update
        set next_free_at = greatest(sender_pacing.next_free_at, clock_timestamp())
                           + ${occupancyMs} * interval '1 millisecond'
      returning next_free_at - ${occupancyMs} * interval '1 millisecond' as slot`);
    return new Date(reserved.rows[0]!.slot);
  }

  /** Records the slot a message waits for (it is sent by a job scheduled for then). */
  async setSendAt(tx: Transaction, row: MessageRow, slot: Date): Promise<void> {
    await tx
      .update(messages)
      .set({ sendAt: slot })
      .where(and(eq(messages.createdAt, row.createdAt), eq(messages.id, row.id)));
  }

  /** Records the carrier's id of each part (in the tenant's transaction that marks it sent). */
  async insertParts(tx: Transaction, row: MessageRow, carrierMessageIds: string[]): Promise<void> {
    if (carrierMessageIds.length === 0) return;
    await tx
      .insert(carrierParts)
      .values(
        carrierMessageIds.map((carrierMessageId, index) => ({
          carrierMessageId,
          tenantId: row.tenantId,
          messageId: row.id,
          messageCreatedAt: row.createdAt,
          part: index + 1,
        })),
      )
      .onConflictDoNothing();
  }

  /** Which tenant's message a carrier id belongs to (read across tenants: a receipt names only the id). */
  async partOwner(db: Executor, carrierMessageId: string) {
    const [part] = await db
      .select()
      .from(carrierParts)
      .where(eq(carrierParts.carrierMessageId, carrierMessageId));
    return part;
  }

  /** Sets a part's receipt outcome unless it has one; false when it had one already (a repeated receipt). */
  async settlePart(
    tx: Transaction,
    carrierMessageId: string,
    state: ReceiptState,
    errorCode: string | null,
  ): Promise<boolean> {
    const updated = await tx
      .update(carrierParts)
      .set({ state, errorCode })
      .where(and(eq(carrierParts.carrierMessageId, carrierMessageId), sql`${carrierParts.state} is null`))
      .returning({ id: carrierParts.carrierMessageId });
    return updated.length > 0;
  }

  partsOf(tx: Transaction, row: MessageRow) {
    return tx
      .select()
      .from(carrierParts)
      .where(and(eq(carrierParts.tenantId, row.tenantId), eq(carrierParts.messageId, row.id)))
      .orderBy(asc(carrierParts.part));
  }

  /** Keeps a receipt whose message is not recorded as sent yet. */
  async keepEarlyReceipt(
    db: Executor,
    receipt: {
      carrierMessageId: string;
      state: ReceiptState;
      errorCode: string | null;
      echoHash: string | null;
    },
  ): Promise<void> {
    await db.insert(earlyReceipts).values(receipt).onConflictDoNothing();
  }

  /** Marks the start (a time) or the definite end (null) of an attempt to hand the message to the carrier. */
  async setSubmitStarted(tx: Transaction, row: MessageRow, at: Date | null): Promise<MessageRow> {
    const [updated] = await tx
      .update(messages)
      .set({ submitStartedAt: at })
      .where(and(eq(messages.createdAt, row.createdAt), eq(messages.id, row.id)))
      .returning();
    return updated!;
  }

  /**
   * The part ids of kept receipts that echo each part (by its possible echo hashes), received since
   * `since`, one distinct receipt per part; undefined unless every part has one (domain/inDoubt.ts).
   */
  async receiptsEchoing(tx: Transaction, parts: string[][], since: Date): Promise<string[] | undefined> {
    const chosen: string[] = [];
    for (const hashes of parts) {
      const [found] = await tx
        .select({ carrierMessageId: earlyReceipts.carrierMessageId })
        .from(earlyReceipts)
        .where(
          and(
            inArray(earlyReceipts.echoHash, hashes),
            gte(earlyReceipts.receivedAt, since),
            chosen.length > 0 ? notInArray(earlyReceipts.carrierMessageId, chosen) : undefined,
          ),
        )
        .orderBy(asc(earlyReceipts.receivedAt))
        .limit(1);
      if (!found) return undefined;
      chosen.push(found.carrierMessageId);
    }
    return chosen;
  }

  /** Takes (reads and deletes) the early receipts of these carrier ids. */
  takeEarlyReceipts(tx: Transaction, carrierMessageIds: string[]) {
    if (carrierMessageIds.length === 0) return Promise.resolve([]);
    return tx
      .delete(earlyReceipts)
      .where(inArray(earlyReceipts.carrierMessageId, carrierMessageIds))
      .returning();
  }

  /** Forgets the carrier ids of parts sent more than 30 days ago (their receipts have long come). */
  async purgeCarrierParts(db: Executor): Promise<number> {
    const gone = await db.execute(
      sql`delete from carrier_parts where created_at < now() - interval '30 days'`,
    );
    return gone.rowCount ?? 0;
  }

  /** Early receipts that never found their message (its send was given up or made again). */
  async purgeEarlyReceipts(db: Executor, before: Date): Promise<number> {
    const gone = await db.delete(earlyReceipts).where(lt(earlyReceipts.receivedAt, before)).returning();
    return gone.length;
  }

  /**
   * Empties the body and media URLs of up to `limit` of the tenant's messages that finished before
   * `finishedBefore` (metadata, parts and history stay; updated_at keeps the final status's time). Walks
   * the partial index messages_content_held. Answers how many were emptied.
   */
  async emptyContent(
    tx: Transaction,
    tenantId: string,
    finishedBefore: Date,
    limit: number,
  ): Promise<number> {
    const before = finishedBefore.toISOString();
    const result = await tx.execute(sql`
      update messages set body = null, media_urls = '{}'
       where (tenant_id, created_at, id) in (
         select tenant_id, created_at, id from messages
          where tenant_id = ${tenantId}
            and ${contentHeld}
            and updated_at <= ${before}::timestamptz
            and created_at <= ${before}::timestamptz
          limit ${limit})`);
    return result.rowCount ?? 0;
  }

  /** When the earliest of the tenant's finished messages that still hold content finished. */
  async earliestContentHeld(tx: Transaction, tenantId: string): Promise<Date | undefined> {
    const result = await tx.execute<{ at: string | null }>(sql`
      select min(updated_at) as at from messages where tenant_id = ${tenantId} and ${contentHeld}`);
    const at = result.rows[0]?.at;
    return at ? new Date(at) : undefined;
  }
}

/** The predicate of the partial index messages_content_held (migration 0005): finished, content present. */
const contentHeld = sql.raw(
  `(body is not null or cardinality(media_urls) > 0) and status in (${FINAL_STATUSES.map((status) => `'${status}'`).join(', ')})`,
);
