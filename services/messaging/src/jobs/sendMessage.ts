import { sql } from 'drizzle-orm';
import { whileDatabaseUnreachable, type JobContext, type Transaction } from '@parley/kit';
import { QUEUES, SEND_EXPIRE_SECONDS, sendJobOptions, type MessagingDeps } from '../deps';
import type { MessageRow } from '../db/schema';
import { CarrierError, mayHaveReachedCarrier } from '../domain/carrier';
import { echoHashes } from '../domain/inDoubt';
import { outcomeOfParts, timeOfUuidV7 } from '../domain/messages';
import { occupancyMs, pacedJobId } from '../domain/pacing';
import { splitSmsBody } from '../domain/segments';
import { effectiveRates } from '../domain/settings';
import { moveTo } from '../lifecycle';
import { optedOut } from '../outbound';

/**
 * How long before its job would expire a run stops waiting for an unreachable database to record what the
 * carrier accepted (then pg-boss would offer the job again while this run still held it).
 */
const EXPIRY_MARGIN_MS = 5_000;

/** How often a send in doubt looks for its carrier receipts. */
const IN_DOUBT_LOOK_MS = 5_000;

/** Kept receipts are timed by PostgreSQL, attempts by this process: allow for their clocks to differ. */
const CLOCK_SLACK_MS = 60_000;

/** A slot this close to now is taken at once rather than scheduled. */
const PACING_TOLERANCE_MS = 20;

/**
 * Sends one message: first reserves its sender's next slot (domain/pacing.ts: segments per second by the
 * sender's throughput class) and, when that is later, schedules itself for then. Then `queued → sending`, hands every part to the carrier, then `sending → sent` with the
 * carrier's ids (or `failed` with the carrier's refusal). A message past its validity is `expired`
 * instead, and one whose recipient opted out of its sender since it was queued is `failed` with
 * RECIPIENT_OPTED_OUT. A busy carrier fails the attempt and pg-boss offers it again with backoff.
 *
 * Where the job can die, and what happens then (the job comes back after SEND_EXPIRE_SECONDS; a crash
 * delays the messages it caught mid-attempt by up to SMPP_IN_DOUBT_SECONDS rather than send any twice):
 * - before `sending` commits: nothing was sent; the next run starts over;
 * - between `sending` and the submits, or with submits unanswered: nothing reached the carrier (an SMSC
 *   drops unanswered submits with the session) but Parley cannot tell, so the message is in doubt as
 *   below: no receipt comes, and it is submitted again SMPP_IN_DOUBT_SECONDS after the attempt began;
 * - after a submit_sm_resp, before `sent` commits: the SMSC accepted it but Parley never learnt its id.
 *   The message is in doubt (`submit_started_at` is set while an attempt is under way): the next run
 *   does not submit again at once but looks for the carrier's receipts, which name the message they are
 *   for (settleInDoubt, domain/inDoubt.ts); finding one for every part, it records them and sends nothing.
 *   Only a carrier that sends no receipt within SMPP_IN_DOUBT_SECONDS gets the message again (with the
 *   same user_message_reference and concatenation reference, so the carrier can tell; the simulator counts
 *   it under `duplicates`). A commit that fails only because PostgreSQL is unreachable is tried again by
 *   the same run until shortly before its job would expire: the carrier's ids are still in hand.
 * - with a submit unanswered in time or its session lost: in doubt as well; throttled or not bound (one
 *   part): surely not taken, so the next run submits at once.
 *
 * Fairness between tenants: every send job carries its tenant as its pg-boss group, and the worker takes
 * at most SEND_TENANT_CONCURRENCY of one tenant's jobs at once (across replicas). Jobs are taken by
 * priority, then oldest first, and a new send's priority falls as its tenant's recent rate rises
 * (domain/sendPriority.ts), so another tenant's message behind a burst is taken before the burst's backlog
 * rather than after it. This changes only which job is fetched, not what a job does, so the crash cases
 * above are unchanged (a job lost with its worker holds one of its tenant's slots until it expires).
 */
export function makeSendMessageJob(deps: MessagingDeps) {
  return async (job: JobContext<{ messageId: string }>): Promise<void> => {
    const expiresAt = Date.now() + SEND_EXPIRE_SECONDS * 1000 - EXPIRY_MARGIN_MS;
    const tenantId = job.tenantId!;
    const createdAt = timeOfUuidV7(job.data.messageId);
    if (!createdAt) return;
    const row = await deps.withTenant(tenantId, async (tx) => {
      const found = await deps.messages.find(tx, job.data.messageId, createdAt, true);
      if (!found || (found.status !== 'queued' && found.status !== 'sending')) return undefined;
      if (found.expiresAt <= new Date()) {
        await moveTo(deps, tx, found, 'expired', { errorCode: 'VALIDITY_PERIOD_PASSED' });
        return undefined;
      }
      if (found.status === 'sending') {
        // A run that ended after `sending` (its slot was used); its submit may have reached the carrier.
        if (found.submitStartedAt) return settleInDoubt(deps, tx, found, tenantId);
        return deps.messages.setSubmitStarted(tx, found, deps.now());
      }
      // The recipient sent STOP after this was queued: it fails instead (a keyword's answer still goes).
      if (!found.keyword && (await optedOut(deps, tx, tenantId, found.from, found.to))) {
        await moveTo(deps, tx, found, 'failed', { errorCode: 'RECIPIENT_OPTED_OUT' });
        return undefined;
      }
      // The tenant's own rates (messaging settings) over the service's SENDER_RATES.
      const slot =
        found.sendAt ??
        (await deps.messages.reserveSlot(
          tx,
          found,
          occupancyMs(
            effectiveRates(deps.rates, (await deps.settings.get(tx)).senderRates),
            found.senderClass,
            found.segments,
          ),
        ));
      if (slot.getTime() > Date.now() + PACING_TOLERANCE_MS) {
        if (!found.sendAt) await deps.messages.setSendAt(tx, found, slot);
        // The same message and slot give the same job id: a rerun of this job schedules nothing more.
        await deps.jobs.send(
          QUEUES.send,
          { messageId: found.id },
          { tx, id: pacedJobId(found.id, slot), startAfter: slot, ...sendJobOptions(tenantId) },
        );
        return undefined;
      }
      return deps.messages.transition(tx, found, 'sending', { submitStartedAt: deps.now(), sendAt: slot });
    });
    if (!row) return;
    const parts = partTexts(row);
    let carrierMessageIds: string[];
    try {
      carrierMessageIds = await deps.carrier.submit({
        id: row.id,
        from: row.from,
        to: row.to,
        encoding: row.encoding,
        parts,
        expiresAt: row.expiresAt,
      });
    } catch (error) {
      if (error instanceof CarrierError && error.kind === 'rejected') {
        await deps.withTenant(tenantId, async (tx) => {
          const current = await deps.messages.find(tx, row.id, row.createdAt, true);
          if (current?.status === 'sending')
            await moveTo(deps, tx, current, 'failed', { errorCode: error.code });
        });
        return;
      }
      // Busy: offered again with backoff. When the carrier surely took none of it (one part, refused as
      // busy), the next run submits at once; otherwise it is in doubt (settleInDoubt).
      if (parts.length === 1 && !mayHaveReachedCarrier(error))
        await deps
          .withTenant(tenantId, (tx) => deps.messages.setSubmitStarted(tx, row, null))
          .catch(() => undefined);
      throw error;
    }
    await whileDatabaseUnreachable(
      () => deps.withTenant(tenantId, (tx) => markSent(deps, tx, row, carrierMessageIds)),
      expiresAt,
      () => deps.log.warn({ messageId: row.id }, 'database unreachable; recording the accepted send again'),
    );
  };
}

/** The texts the carrier receives for a message: its body's parts, or an MMS's media URLs. */
function partTexts(row: MessageRow): string[] {
  return row.body ? splitSmsBody(row.body) : [row.mediaUrls.join(' ')];
}

/**
 * A message found `sending` with an attempt under way: the run that made the attempt ended before it
 * recorded the carrier's answer, so the carrier may have it. If the carrier's receipts for every part came
 * (kept as early receipts that echo the message), it did: the message is `sent` with those ids and settled
 * by them, and nothing is submitted again. Otherwise the job looks again every few seconds until
 * SMPP_IN_DOUBT_SECONDS after the attempt began, and only then submits again (returning the row to submit).
 */
async function settleInDoubt(
  deps: MessagingDeps,
  tx: Transaction,
  row: MessageRow,
  tenantId: string,
): Promise<MessageRow | undefined> {
  const startedAt = row.submitStartedAt!.getTime();
  const echoes = partTexts(row).map((text) =>
    echoHashes(deps.subjectHashKeys, { from: row.from, to: row.to, text }),
  );
  const carrierMessageIds = await deps.messages.receiptsEchoing(
    tx,
    echoes,
    new Date(startedAt - CLOCK_SLACK_MS),
  );
  if (carrierMessageIds) {
    await markSent(deps, tx, row, carrierMessageIds);
    return undefined;
  }
  const deadline = startedAt + deps.inDoubtMs;
  const now = deps.now().getTime();
  if (now < deadline) {
    // The next look on a fixed grid from the attempt's start: a rerun of this job schedules the same one.
    const next = new Date(
      Math.min(
        deadline,
        startedAt + (Math.floor((now - startedAt) / IN_DOUBT_LOOK_MS) + 1) * IN_DOUBT_LOOK_MS,
      ),
    );
    await deps.jobs.send(
      QUEUES.send,
      { messageId: row.id },
      { tx, id: pacedJobId(row.id, next), startAfter: next, ...sendJobOptions(tenantId) },
    );
    return undefined;
  }
  deps.log.warn(
    { messageId: row.id },
    'no carrier receipt for a send in doubt within SMPP_IN_DOUBT_SECONDS; submitting it again',
  );
  return deps.messages.setSubmitStarted(tx, row, deps.now());
}

/** `sent` with the carrier's ids, then any receipt that came before this commit. */
async function markSent(deps: MessagingDeps, tx: Transaction, row: MessageRow, carrierMessageIds: string[]) {
  const current = await deps.messages.find(tx, row.id, row.createdAt, true);
  if (current?.status !== 'sending') return;
  await lockCarrierIds(tx, carrierMessageIds);
  await deps.messages.insertParts(tx, current, carrierMessageIds);
  let sent = await moveTo(deps, tx, current, 'sent', { carrierMessageIds });
  const early = await deps.messages.takeEarlyReceipts(tx, carrierMessageIds);
  if (early.length === 0) return;
  for (const receipt of early)
    await deps.messages.settlePart(tx, receipt.carrierMessageId, receipt.state, receipt.errorCode);
  const outcome = outcomeOfParts(await deps.messages.partsOf(tx, sent));
  if (outcome.status !== 'sent')
    sent = await moveTo(deps, tx, sent, outcome.status, { errorCode: outcome.errorCode });
}

/**
 * Serialises the recording of carrier ids with the receipts for them (src/carrier/receipts.ts): a receipt
 * either sees the part recorded, or is kept as early and taken by the transaction that records the part.
 */
export async function lockCarrierIds(tx: Transaction, carrierMessageIds: string[]): Promise<void> {
  for (const id of [...carrierMessageIds].sort())
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`carrier-part:${id}`}, 0))`);
}
