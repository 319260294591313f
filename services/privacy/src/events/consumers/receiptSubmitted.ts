import type { EventHandler } from '@parley/kit';
import { participantV1 } from '@parley/proto';
import type { Receipts } from '../../receipts';

/** privacy-on-receipt-submitted: a participant has done its task; the request moves on (or completes). */
export function onReceiptSubmitted(deps: { receipts: Receipts }): EventHandler<participantV1.PrivacyReceipt> {
  return {
    durable: 'privacy-on-receipt-submitted',
    eventType: 'privacy.receipt.submitted',
    messageType: participantV1.PrivacyReceipt,
    ackWaitMs: 120_000,
    async handle(tx, event) {
      await deps.receipts.onReceipt(tx, event.envelope.tenantId, event.payload);
    },
  };
}
