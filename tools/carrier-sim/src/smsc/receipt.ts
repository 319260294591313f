import { MessageState } from './status';

/** How a message ended, as its receipt tells it. */
export type ReceiptOutcome = 'delivered' | 'undelivered' | 'expired';

const outcomes: Record<ReceiptOutcome, { stat: string; err: string; state: number; delivered: boolean }> = {
  delivered: { stat: 'DELIVRD', err: '000', state: MessageState.DELIVERED, delivered: true },
  // err: the network's error code; 001 stands for "unknown subscriber" here.
  undelivered: { stat: 'UNDELIV', err: '001', state: MessageState.UNDELIVERABLE, delivered: false },
  expired: { stat: 'EXPIRED', err: '000', state: MessageState.EXPIRED, delivered: false },
};

/** `YYMMDDhhmm` in UTC, the receipt's date format. */
export function receiptDate(at: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    two(at.getUTCFullYear() % 100) +
    two(at.getUTCMonth() + 1) +
    two(at.getUTCDate()) +
    two(at.getUTCHours()) +
    two(at.getUTCMinutes())
  );
}

/**
 * The receipt's `text:` field: the first 20 characters of the message, each one the GSM 03.38 default
 * alphabet and ASCII agree on (so an ESME reading data_coding 0 either way sees the same), others as `.`.
 */
function receiptText(text: string): string {
  return [...text]
    .slice(0, 20)
    .map((character) => (/^[\x20-\x23\x25-\x3fA-Za-z]$/.test(character) ? character : '.'))
    .join('');
}

/**
 * The delivery receipt's short_message, in the de-facto format of SMPP 3.4 Appendix B that SMSCs send
 * and ESMEs parse: `id:<id> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD
 * err:000 text:<first 20 characters>`; also the message_state TLV value that goes with it.
 */
export function formatReceipt(receipt: {
  messageId: string;
  outcome: ReceiptOutcome;
  submittedAt: Date;
  doneAt: Date;
  text: string;
}): { text: string; messageState: number } {
  const outcome = outcomes[receipt.outcome];
  return {
    text:
      `id:${receipt.messageId} sub:001 dlvrd:${outcome.delivered ? '001' : '000'} ` +
      `submit date:${receiptDate(receipt.submittedAt)} done date:${receiptDate(receipt.doneAt)} ` +
      `stat:${outcome.stat} err:${outcome.err} text:${receiptText(receipt.text)}`,
    messageState: outcome.state,
  };
}
