import { connect, PDU, type Pdu, type Session } from '../src/smsc/smpp';

/**
 * A minimal ESME for the simulator's tests, on the `smpp` package's client session: promise-returning
 * requests, and every deliver_sm it receives kept and answered as `answerDeliver` says (a command_status,
 * or undefined for no answer at all).
 */
export class TestEsme {
  readonly delivered: Pdu[] = [];
  answerDeliver: (pdu: Pdu) => number | undefined = () => 0;
  readonly closed: Promise<void>;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly session: Session) {
    this.closed = new Promise((resolve) => session.once('close', () => resolve()));
    session.on('error', () => undefined);
    session.on('deliver_sm', (pdu: Pdu) => {
      this.delivered.push(pdu);
      const status = this.answerDeliver(pdu);
      if (status !== undefined) session.send(pdu.response({ command_status: status }));
      for (const listener of this.listeners) listener();
    });
  }

  static async connect(address: { host: string; port: number }): Promise<TestEsme> {
    return new Promise((resolve, reject) => {
      const session = connect({ host: address.host, port: address.port }, () =>
        resolve(new TestEsme(session)),
      );
      session.once('error', reject);
    });
  }

  /** Sends a request and resolves with its response. */
  request(command: string, fields: Record<string, unknown> = {}): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      if (!this.session.send(new PDU(command, fields), resolve)) reject(new Error('session closed'));
    });
  }

  bind(
    credentials: { systemId: string; password: string },
    mode: 'transmitter' | 'receiver' | 'transceiver' = 'transceiver',
  ): Promise<Pdu> {
    return this.request(`bind_${mode}`, { system_id: credentials.systemId, password: credentials.password });
  }

  /** A submit_sm from +14155550100 (international, ISDN), GSM text, asking for a receipt unless told. */
  submit(destination: string, fields: Record<string, unknown> = {}): Promise<Pdu> {
    return this.request('submit_sm', {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '14155550100',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: destination,
      registered_delivery: 1,
      data_coding: 0,
      short_message: Buffer.from('hello', 'ascii'),
      ...fields,
    });
  }

  /** The first deliver_sm (received already or later) that `matches`; fails after `guardMs`. */
  waitFor(matches: (pdu: Pdu) => boolean, guardMs = 10_000): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.delivered.find(matches);
        if (!found) return false;
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`no matching deliver_sm within ${guardMs} ms`));
      }, guardMs);
      this.listeners.add(check);
      check();
    });
  }

  /** The receipt for `messageId`. */
  receiptFor(messageId: string, guardMs?: number): Promise<Pdu> {
    return this.waitFor((pdu) => pdu.receipted_message_id === messageId, guardMs);
  }

  close(): Promise<void> {
    this.session.destroy();
    return this.closed;
  }
}

/** The text of a deliver_sm as the smpp package decodes it. */
export const textOf = (pdu: Pdu): string => (pdu.short_message as { message: string }).message;
