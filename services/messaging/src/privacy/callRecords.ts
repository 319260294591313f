// Erasure of call records under a tenant's obligation to keep traffic data (anonymise-and-keep).
import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import { valueHashes, type SubjectIdentifiers, type Transaction } from '@parley/kit';
import { calls, keptCalls, type CallIdentifierField, type KeptCallRow } from '../db/schema';
import type { MessagingDeps } from '../deps';
import { anonymisedCall, type IdentifierKind } from '../domain/calls';
import type { TrafficDataRetention } from '../domain/settings';
import { callsOf, keptCallsOf } from './subjects';

const DAY_MS = 86_400_000;
/** Calls anonymised and moved to kept_calls per statement. */
const KEEP_BATCH = 500;

/** The receipt basis of a record kept under the tenant's obligation. */
export const obligationBasis = (law: string) => `legal obligation: ${law}`;

/** What erasing the subject's call records did. */
export interface CallRecordsErased {
  deleted: number;
  /** Records anonymised and kept (under `basis`). */
  kept: number;
  basis: string;
}

/**
 * Erases the subject's call records (their recording references are gone before this runs). Without an
 * obligation, or for calls older than its period, they are deleted. Within the period of the tenant's
 * obligation, each is anonymised (the subject's identifiers replaced by their keyed subject hashes, so a
 * later lawful request presenting the number still finds it) and moved to `kept_calls` until the period
 * ends, out of the monthly partitions the metadata retention drops. Kept records of someone else's erasure
 * that still name the subject are anonymised for them too, or deleted when no obligation keeps them now.
 */
export async function eraseCallRecords(
  deps: Pick<MessagingDeps, 'subjectHashKeys' | 'now'>,
  tx: Transaction,
  subject: SubjectIdentifiers,
  tenantId: string,
  obligation: TrafficDataRetention | null,
): Promise<CallRecordsErased> {
  // One HMAC per identifier, however many calls hold it.
  const hashes = new Map<string, string>();
  const hash = (kind: IdentifierKind, value: string) => {
    const key = `${kind}\n${value}`;
    if (!hashes.has(key)) hashes.set(key, valueHashes(deps.subjectHashKeys, tenantId, kind, value)[0]!);
    return hashes.get(key)!;
  };
  const from = obligation ? new Date(deps.now().getTime() - obligation.days * DAY_MS) : undefined;
  let kept = 0;
  if (obligation && from) {
    // In batches, each moved (inserted anonymised, deleted from calls) before the next is read: a subject
    // with a great many calls (an account's numbers) never sits whole in memory.
    const within = and(callsOf(subject), gte(calls.startedAt, from));
    for (;;) {
      const batch = await tx.select().from(calls).where(within).limit(KEEP_BATCH);
      if (batch.length === 0) break;
      await tx.insert(keptCalls).values(
        batch.map((row) => {
          const { changes, fields } = anonymisedCall(row, subject, hash);
          return {
            ...row,
            ...changes,
            anonymisedFields: fields,
            keptBasis: obligation.law,
            keptUntil: new Date(row.startedAt.getTime() + obligation.days * DAY_MS),
          };
        }),
      );
      await tx.delete(calls).where(
        and(
          within,
          inArray(
            calls.id,
            batch.map((row) => row.id),
          ),
        ),
      );
      kept += batch.length;
    }
  }
  // The rest (all of them without an obligation) goes.
  const gone = await tx.delete(calls).where(callsOf(subject)).returning({ id: calls.id });
  // Records already kept (someone else's erasure) that still name the subject.
  const named = await tx.select().from(keptCalls).where(keptCallsOf(subject));
  const expired: KeptCallRow[] = [];
  for (const row of named) {
    if (!obligation || !from || row.startedAt < from) {
      expired.push(row);
      continue;
    }
    const { changes, fields } = anonymisedCall(row, subject, hash);
    await tx
      .update(keptCalls)
      .set({ ...changes, anonymisedFields: [...new Set([...row.anonymisedFields, ...fields])] })
      .where(and(eq(keptCalls.tenantId, tenantId), eq(keptCalls.id, row.id)));
    kept += 1;
  }
  if (expired.length > 0)
    await tx.delete(keptCalls).where(
      inArray(
        keptCalls.id,
        expired.map((row) => row.id),
      ),
    );
  return {
    // What left `calls` without being kept, and what a kept record no obligation keeps any more.
    deleted: gone.length + expired.length,
    kept,
    basis: obligation ? obligationBasis(obligation.law) : '',
  };
}

/** Deletes the kept call records whose obligation's period has ended by `at` (the tenant's, or every one as the platform). */
export async function expireKeptCalls(tx: Transaction, at: Date): Promise<number> {
  const gone = await tx.delete(keptCalls).where(lt(keptCalls.keptUntil, at)).returning({ id: keptCalls.id });
  return gone.length;
}

/** The identifier fields of a kept record, as its export shows them: a keyed hash (someone else's) as null. */
export function keptCallFields(row: KeptCallRow): Record<CallIdentifierField, string | null> {
  const shown = (field: CallIdentifierField, value: string | null) =>
    row.anonymisedFields.includes(field) ? null : value;
  return {
    from: shown('from', row.from),
    to: shown('to', row.to),
    forwardedTo: shown('forwardedTo', row.forwardedTo),
    callerIdPresented: shown('callerIdPresented', row.callerIdPresented),
    externalCallerId: shown('externalCallerId', row.externalCallerId),
    accountId: shown('accountId', row.accountId),
    clientIp: shown('clientIp', row.clientIp),
  };
}
