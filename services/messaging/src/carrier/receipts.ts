import type { MessagingDeps } from '../deps';
import type { Receipt } from '../domain/carrier';
import { echoHash } from '../domain/inDoubt';
import { FINAL_STATUSES, outcomeOfParts } from '../domain/messages';
import { lockCarrierIds } from '../jobs/sendMessage';
import { moveTo } from '../lifecycle';

/**
 * Applies a delivery receipt: the part's outcome, then the message's (delivered once every part is,
 * undelivered or expired as soon as one part is). A repeated receipt changes nothing. A receipt for a part
 * not recorded yet (the send's transaction has not committed) is kept and applied when it is, with a keyed
 * hash of the message it names, which a send in doubt looks for (domain/inDoubt.ts). Resolves only
 * once recorded, so the adapter answers the SMSC after that (a crash before it: the SMSC sends it again).
 */
export function makeReceiptHandler(deps: MessagingDeps) {
  return async (receipt: Receipt): Promise<void> => {
    const owner = await deps.db.transaction(async (tx) => {
      await lockCarrierIds(tx, [receipt.carrierMessageId]);
      const part = await deps.messages.partOwner(tx, receipt.carrierMessageId);
      if (!part)
        await deps.messages.keepEarlyReceipt(tx, {
          carrierMessageId: receipt.carrierMessageId,
          state: receipt.state,
          errorCode: receipt.errorCode,
          echoHash: receipt.echo ? echoHash(deps.subjectHashKeys, receipt.echo) : null,
        });
      return part;
    });
    if (!owner) return;
    await deps.withTenant(owner.tenantId, async (tx) => {
      const row = await deps.messages.find(tx, owner.messageId, owner.messageCreatedAt, true);
      if (!row) return;
      const settled = await deps.messages.settlePart(
        tx,
        receipt.carrierMessageId,
        receipt.state,
        receipt.errorCode,
      );
      if (!settled || FINAL_STATUSES.has(row.status)) return;
      const outcome = outcomeOfParts(await deps.messages.partsOf(tx, row));
      if (outcome.status !== 'sent')
        await moveTo(deps, tx, row, outcome.status, { errorCode: outcome.errorCode });
    });
  };
}
