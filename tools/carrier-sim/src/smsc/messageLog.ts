/** A message the SMSC accepted, its parts joined: what tests read to prove exactly-once delivery. */
export interface AcceptedMessage {
  /** The first part's message id (the only one for a single-part message). */
  id: string;
  /** Every part's message id, in part order (each part gets its own receipt). */
  messageIds: string[];
  systemId: string;
  /** E.164 with `+` for international addresses, as given otherwise (alphanumeric, short code). */
  from: string;
  to: string;
  /** The parts' texts joined (binary content as hex). */
  text: string;
  parts: number;
  dataCoding: number;
  /** The ESME's user_message_reference TLV, when it sent one. */
  reference?: number;
  acceptedAt: string;
  /** True when the same from, to, text and reference had been accepted before. */
  duplicate: boolean;
}

/**
 * Every message the SMSC accepted, by destination, and how many of them were duplicates (the same source,
 * destination, text and client reference accepted again).
 */
export class MessageLog {
  private readonly byDestination = new Map<string, AcceptedMessage[]>();
  private readonly all: AcceptedMessage[] = [];
  private readonly seen = new Set<string>();

  record(message: Omit<AcceptedMessage, 'duplicate'>): AcceptedMessage {
    const key = JSON.stringify([message.from, message.to, message.text, message.reference ?? null]);
    const duplicate = this.seen.has(key);
    this.seen.add(key);
    const recorded = { ...message, duplicate };
    let list = this.byDestination.get(message.to);
    if (!list) {
      list = [];
      this.byDestination.set(message.to, list);
    }
    list.push(recorded);
    this.all.push(recorded);
    return recorded;
  }

  /** Accepted messages in the order accepted, to one destination or all; at most `limit`. */
  list(filter: { to?: string; from?: string; limit: number }): AcceptedMessage[] {
    const candidates = filter.to ? (this.byDestination.get(filter.to) ?? []) : this.all;
    const matching = filter.from ? candidates.filter((message) => message.from === filter.from) : candidates;
    return matching.slice(0, filter.limit);
  }

  get size(): number {
    return this.all.length;
  }
}
