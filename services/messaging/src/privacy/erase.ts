import { sql } from 'drizzle-orm';
import {
  receiptLine,
  type ActionContext,
  type CategoryReceipt,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import { callRecordings, inboundParts, messages, optOuts, webhookDeliveries } from '../db/schema';
import type { MessagingDeps } from '../deps';
import { queueRecordingDeletion } from '../jobs/deleteRecordingMedia';
import { messagingCategories, OPT_OUT_LAW } from './categories';
import { eraseCallRecords } from './callRecords';
import {
  counts,
  deliveriesOf,
  forwardedToThem,
  hasContent,
  messagesOf,
  optOutsOf,
  partsOf,
  recordingsOf,
} from './subjects';

/** Erases the subject (see messagingParticipant); under a hold, counts everything as kept. */
export async function eraseSubject(
  deps: Pick<MessagingDeps, 'jobs' | 'carrierMedia' | 'settings' | 'subjectHashKeys' | 'now'>,
  tx: Transaction,
  subject: SubjectIdentifiers,
  context: ActionContext & { hold?: string },
): Promise<CategoryReceipt[]> {
  if (context.hold) {
    const found = await counts(tx, subject, context.hashes);
    return messagingCategories.map((category) =>
      receiptLine(category.id, {
        kept: String(found[category.id as keyof typeof found]),
        keptBasis: `legal hold: ${context.hold}`,
      }),
    );
  }
  const before = await counts(tx, subject, context.hashes);
  // Deliveries first: those found through the subject's messages need the messages still there.
  const deliveries = await tx
    .delete(webhookDeliveries)
    .where(deliveriesOf(subject))
    .returning({ id: webhookDeliveries.id });
  // Each message's history and part ids go with it, in its partition (the same key), under RLS.
  const theirs = sql`(select ${messages.id} from ${messages} where ${messagesOf(subject)})`;
  await tx.execute(
    sql`delete from message_status_history
          where (message_id, message_created_at) in (select ${messages.id}, ${messages.createdAt} from ${messages} where ${messagesOf(subject)})`,
  );
  await tx.execute(
    sql`delete from carrier_parts where tenant_id = ${context.tenantId} and message_id in ${theirs}`,
  );
  // Where someone else's message was forwarded to the subject's phone goes; the message stays.
  await tx.update(messages).set({ forwardedTo: null }).where(forwardedToThem(subject));
  const gone = await tx
    .delete(messages)
    .where(messagesOf(subject))
    .returning({ content: sql<boolean>`${hasContent}` });
  // Their calls, with their recording references (in the calls' partitions); the carrier is asked to
  // delete the media (a job queued in this transaction, retried until the carrier confirms).
  const recordingsGone = await tx
    .delete(callRecordings)
    .where(recordingsOf(subject))
    .returning({ id: callRecordings.id, carrierRecordingId: callRecordings.carrierRecordingId });
  if (deps.carrierMedia)
    for (const recording of recordingsGone)
      await queueRecordingDeletion(deps, tx, context.tenantId, recording.carrierRecordingId);
  // The calls themselves: deleted, or anonymised and kept where the tenant's law obliges keeping them.
  const obligation = (await deps.settings.get(tx)).trafficDataRetention;
  const callRecords = await eraseCallRecords(deps, tx, subject, context.tenantId, obligation);
  const parts = await tx.delete(inboundParts).where(partsOf(subject)).returning({ text: inboundParts.text });
  // The opt-out list is kept (the law asks for it), only as the hash it always was; the link to the
  // message that carried the keyword (deleted above) goes.
  const kept = await tx
    .update(optOuts)
    .set({ sourceMessageId: null, anonymisedAt: sql`clock_timestamp()` })
    .where(optOutsOf(context.hashes))
    .returning({ number: optOuts.number });
  return [
    receiptLine('message_metadata', { deleted: String(gone.length) }),
    receiptLine('message_content', {
      deleted: String(gone.filter((row) => row.content).length + parts.filter((row) => row.text).length),
    }),
    receiptLine('message_forwarding', { deleted: String(before.message_forwarding) }),
    receiptLine('opt_outs', {
      anonymised: String(kept.length),
      kept: String(kept.length),
      keptBasis: OPT_OUT_LAW,
    }),
    receiptLine('webhook_deliveries', { deleted: String(deliveries.length) }),
    receiptLine('call_records', {
      deleted: String(callRecords.deleted),
      ...(callRecords.kept > 0
        ? {
            anonymised: String(callRecords.kept),
            kept: String(callRecords.kept),
            keptBasis: callRecords.basis,
          }
        : {}),
    }),
    receiptLine('call_recordings', { deleted: String(recordingsGone.length) }),
  ];
}
