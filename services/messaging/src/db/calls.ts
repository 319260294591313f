import { and, asc, desc, eq, gte, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import {
  olderThan,
  toPage,
  valueHashes,
  type Cursor,
  type Database,
  type SubjectHashKeys,
  type Transaction,
} from '@parley/kit';
import {
  callRecordings,
  calls,
  carrierCalls,
  keptCalls,
  type CallDisposition,
  type CallRecordingRow,
  type CallRow,
  type KeptCallRow,
  type NewCallRecordingRow,
  type NewCallRow,
} from './schema';

export interface CallFilters {
  phoneNumber?: string;
  direction?: 'outbound' | 'inbound';
  disposition?: CallDisposition;
  startedAfter?: Date;
  startedBefore?: Date;
}

/** Call detail records and their recording references (every query in the tenant's transaction). */
export class CallRepository {
  /**
   * Claims the carrier's call id for this call: false when a record with that id came before (a resend,
   * whatever tenant it was for), and then nothing must be stored.
   */
  async claim(tx: Transaction, tenantId: string, carrierCallId: string, callId: string): Promise<boolean> {
    const claimed = await tx
      .insert(carrierCalls)
      .values({ carrierCallId, tenantId, callId })
      .onConflictDoNothing()
      .returning({ callId: carrierCalls.callId });
    return claimed.length === 1;
  }

  async insert(tx: Transaction, row: NewCallRow): Promise<CallRow> {
    const [inserted] = await tx.insert(calls).values(row).returning();
    return inserted!;
  }

  async insertRecording(tx: Transaction, row: NewCallRecordingRow): Promise<CallRecordingRow> {
    const [inserted] = await tx.insert(callRecordings).values(row).returning();
    return inserted!;
  }

  async find(tx: Transaction, id: string, startedAt: Date): Promise<CallRow | undefined> {
    const [row] = await tx
      .select()
      .from(calls)
      .where(and(eq(calls.startedAt, startedAt), eq(calls.id, id)));
    return row;
  }

  async recordingsOf(tx: Transaction, call: Pick<CallRow, 'id' | 'startedAt'>): Promise<CallRecordingRow[]> {
    return tx
      .select()
      .from(callRecordings)
      .where(and(eq(callRecordings.callStartedAt, call.startedAt), eq(callRecordings.callId, call.id)))
      .orderBy(asc(callRecordings.createdAt), asc(callRecordings.id));
  }

  /** How many recording references each of these calls has. */
  async recordingCounts(tx: Transaction, rows: CallRow[]): Promise<Map<string, number>> {
    if (rows.length === 0) return new Map();
    const oldest = rows.reduce((min, row) => (row.startedAt < min ? row.startedAt : min), rows[0]!.startedAt);
    const counted = await tx
      .select({ callId: callRecordings.callId, count: sql<number>`count(*)::int` })
      .from(callRecordings)
      .where(
        and(
          gte(callRecordings.callStartedAt, oldest),
          inArray(
            callRecordings.callId,
            rows.map((row) => row.id),
          ),
        ),
      )
      .groupBy(callRecordings.callId);
    return new Map(counted.map((row) => [row.callId, row.count]));
  }

  /** A page of the tenant's calls, newest first. */
  async list(tx: Transaction, filters: CallFilters, size: number, after: Cursor | undefined) {
    const conditions: (SQL | undefined)[] = [olderThan(calls.startedAt, calls.id, after)];
    if (filters.phoneNumber)
      conditions.push(
        or(
          eq(calls.from, filters.phoneNumber),
          eq(calls.to, filters.phoneNumber),
          eq(calls.forwardedTo, filters.phoneNumber),
        ),
      );
    if (filters.direction) conditions.push(eq(calls.direction, filters.direction));
    if (filters.disposition) conditions.push(eq(calls.disposition, filters.disposition));
    if (filters.startedAfter) conditions.push(gte(calls.startedAt, filters.startedAfter));
    if (filters.startedBefore) conditions.push(lt(calls.startedAt, filters.startedBefore));
    const rows = await tx
      .select()
      .from(calls)
      .where(and(...conditions))
      .orderBy(desc(calls.startedAt), desc(calls.id))
      .limit(size + 1);
    return toPage<CallRow>(rows, size, (row) => ({ at: row.startedAt, id: row.id }));
  }

  /**
   * The call records kept under a traffic-data obligation that name `phone`, in any of their number fields:
   * as recorded, or as the keyed subject hash an erasure replaced it with (under any subject hash key). What
   * a lawful request presenting a number finds after its owner was erased; oldest first.
   */
  async keptNaming(
    tx: Transaction,
    keys: SubjectHashKeys,
    tenantId: string,
    phone: string,
  ): Promise<KeptCallRow[]> {
    const values = [phone, ...valueHashes(keys, tenantId, 'phone', phone)];
    return tx
      .select()
      .from(keptCalls)
      .where(
        or(
          inArray(keptCalls.from, values),
          inArray(keptCalls.to, values),
          inArray(keptCalls.forwardedTo, values),
          inArray(keptCalls.callerIdPresented, values),
          inArray(keptCalls.externalCallerId, values),
        ),
      )
      .orderBy(asc(keptCalls.startedAt), asc(keptCalls.id));
  }

  /** Forgets carrier call ids older than 30 days, of every tenant (resends come within days). */
  async purgeCarrierCalls(db: Database): Promise<number> {
    const gone = await db.execute(
      sql`delete from carrier_calls where received_at < now() - interval '30 days'`,
    );
    return gone.rowCount ?? 0;
  }
}
