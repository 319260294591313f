import type { EventHandler } from '@parley/kit';
import { participantV1 } from '@parley/proto';
import type { RequestWorkflow } from '../../workflow';

/** privacy-on-receipt-submitted: a participant has done its task; the request moves on (or completes). */
export function onReceiptSubmitted(deps: {
  workflow: RequestWorkflow;
}): EventHandler<participantV1.PrivacyReceipt> {
  return {
    durable: 'privacy-on-receipt-submitted',
    eventType: 'privacy.receipt.submitted',
    messageType: participantV1.PrivacyReceipt,
    ackWaitMs: 120_000,
    async handle(tx, event) {
      await deps.workflow.onReceipt(tx, event.envelope.tenantId, event.payload);
    },
  };
}
