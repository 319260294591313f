// The SMPP 3.4 carrier adapter: an ESME on the `smpp` package's client session. One transceiver bind that
// submits messages within a window of unanswered submit_sm, keeps the link alive with enquire_link,
// reconnects with backoff, and hands delivery receipts and mobile-originated messages (deliver_sm) to
// messaging before answering them.
import { createHash } from 'node:crypto';
import { smpp, type Logger } from '@parley/kit';
import {
  CarrierError,
  type CarrierPort,
  type InboundMessage,
  type OutboundMessage,
  type Receipt,
} from '../domain/carrier';

const { PDU, connect, Status, MessageState, EsmClass } = smpp;
type Pdu = smpp.Pdu;
type Session = smpp.Session;

export interface SmppOptions {
  host: string;
  port: number;
  systemId: string;
  password: string;
  /** Unanswered submit_sm at most on the bind (throughput ≈ window ÷ round trip). */
  window: number;
  /** deliver_sm being recorded at once; later ones wait, unanswered, for a slot. */
  deliverConcurrency: number;
  /** Seconds between enquire_link on the bound session. */
  enquireLinkSeconds: number;
  /** How long a submit_sm or enquire_link may stay unanswered. */
  responseTimeoutMs: number;
  /** Reconnect backoff: first pause and longest pause. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  log: Logger;
}

/** The SMPP name of a command_status (ESME_RTHROTTLED), or its hex value. */
export function statusName(status: number): string {
  const name = Object.entries(Status).find(([, value]) => value === status)?.[0];
  return name ? `ESME_${name}` : `0x${status.toString(16).padStart(8, '0')}`;
}

/** The answers that mean "not now": the message may be offered again later, nothing was accepted. */
const BUSY = new Set<number>([Status.RTHROTTLED, Status.RMSGQFUL]);
/** A temporary application error: the SMSC keeps the deliver_sm and sends it again later. */
const ESME_RX_T_APPN = 0x0064;
/** A permanent application error: the SMSC drops the deliver_sm (one that cannot be read). */
const ESME_RX_P_APPN = 0x0065;
/** message_state values of a receipt that is not the final word (SMPP 3.4 section 5.2.28). */
const ENROUTE = 1;
const ACCEPTED = 6;
/** Pauses before submitting a throttled part again on the same bind, before giving the message back. */
const THROTTLE_PAUSES_MS = [50, 200, 500];

/** A 16-bit value from a message id: the same message always gets the same one. */
function reference16(id: string, salt: string): number {
  return createHash('sha256').update(salt).update(id).digest().readUInt16BE(0);
}

/** International E.164 without the plus, as SMPP addresses carry it (ton 1, npi 1). */
const address = (e164: string) => e164.replace(/^\+/, '');

/** At most `limit` holders at once; the others wait in order of arrival. */
export class Slots {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async take(): Promise<void> {
    while (this.held >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.held += 1;
  }

  release(): void {
    this.held -= 1;
    this.waiting.shift()?.();
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}

/**
 * deliver_sm waiting for a slot at most, per slot, before more are answered "temporary error" at once: an
 * SMSC resends what is not answered within its own timeout, so work queued longer than that would be done
 * for answers it no longer waits for, while its resends queue up behind (a collapse under a burst).
 */
const DELIVERIES_QUEUED_PER_SLOT = 4;

export class SmppCarrier implements CarrierPort {
  private session: Session | undefined;
  private bound = false;
  private stopping = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private enquireTimer: NodeJS.Timeout | undefined;
  private readonly window: Slots;
  private readonly deliveries: Slots;
  private readonly bindWaiters: (() => void)[] = [];
  private readonly pending = new Map<Session, Set<(error: CarrierError) => void>>();
  private handleReceipt: ((receipt: Receipt) => Promise<void>) | undefined;
  private handleInbound: ((message: InboundMessage) => Promise<void>) | undefined;

  constructor(private readonly options: SmppOptions) {
    this.window = new Slots(options.window);
    this.deliveries = new Slots(options.deliverConcurrency);
  }

  onReceipt(handle: (receipt: Receipt) => Promise<void>): void {
    this.handleReceipt = handle;
  }

  onInbound(handle: (message: InboundMessage) => Promise<void>): void {
    this.handleInbound = handle;
  }

  start(): Promise<void> {
    this.stopping = false;
    this.open();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.enquireTimer);
    const session = this.session;
    this.session = undefined;
    this.bound = false;
    if (!session) return;
    // Resolves once the socket is closed, including when it closed before this was asked (a 'close' listener
    // added then would wait forever).
    const { socket } = session;
    const closed = new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    });
    // Unbind politely; destroy the socket on the answer, or after a second without one.
    const timer = setTimeout(() => session.destroy(), 1_000);
    const sent = session.send(new PDU('unbind', {}), () => session.destroy());
    if (!sent) session.destroy();
    await closed;
    clearTimeout(timer);
  }

  get isBound(): boolean {
    return this.bound;
  }

  async submit(message: OutboundMessage): Promise<string[]> {
    const total = message.parts.length;
    const concatenation = reference16(message.id, 'concatenation');
    const userReference = reference16(message.id, 'user_message_reference');
    return Promise.all(
      message.parts.map((text, index) => {
        const fields: Record<string, unknown> = {
          service_type: '',
          source_addr_ton: 1,
          source_addr_npi: 1,
          source_addr: address(message.from),
          dest_addr_ton: 1,
          dest_addr_npi: 1,
          destination_addr: address(message.to),
          esm_class: total > 1 ? EsmClass.UDH_INDICATOR : 0,
          registered_delivery: 1,
          data_coding: message.encoding === 'GSM-7' ? 0 : 8,
          validity_period: message.expiresAt,
          user_message_reference: userReference,
          // The package encodes the text by data_coding (GSM 03.38 septets, or UTF-16BE) after the header.
          short_message:
            total > 1
              ? {
                  // Information element 0x08: concatenated message, 16-bit reference, total, this part.
                  udh: Buffer.from([
                    0x06,
                    0x08,
                    0x04,
                    concatenation >> 8,
                    concatenation & 0xff,
                    total,
                    index + 1,
                  ]),
                  message: text,
                }
              : text,
        };
        return this.submitPart(fields);
      }),
    );
  }

  /** One submit_sm: answered with an id, refused for good, or given back as busy after a few pauses. */
  private async submitPart(fields: Record<string, unknown>): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.request('submit_sm', fields);
      const status = response.command_status;
      if (status === Status.ROK) return String(response.message_id);
      if (!BUSY.has(status)) {
        throw new CarrierError('rejected', statusName(status), 'the carrier refused the message');
      }
      const pause = THROTTLE_PAUSES_MS[attempt];
      if (pause === undefined) {
        throw new CarrierError('busy', statusName(status), 'the carrier is throttling; offered again later');
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** Sends a request within the window on the bound session and waits for its response. */
  private async request(command: string, fields: Record<string, unknown>): Promise<Pdu> {
    const session = await this.boundSession();
    await this.window.take();
    try {
      return await this.exchange(session, command, fields);
    } finally {
      this.window.release();
    }
  }

  private exchange(session: Session, command: string, fields: Record<string, unknown>): Promise<Pdu> {
    return new Promise<Pdu>((resolve, reject) => {
      const failures = this.pending.get(session) ?? new Set();
      this.pending.set(session, failures);
      const fail = (error: CarrierError) => {
        clearTimeout(timer);
        failures.delete(fail);
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new CarrierError('busy', 'RESPONSE_TIMEOUT', `no ${command}_resp in time`)),
        this.options.responseTimeoutMs,
      );
      failures.add(fail);
      const sent = session.send(new PDU(command, fields), (response) => {
        clearTimeout(timer);
        failures.delete(fail);
        resolve(response);
      });
      if (!sent) fail(new CarrierError('busy', 'NOT_BOUND', 'the SMPP session closed'));
    });
  }

  /** The bound session, waiting up to a response timeout for a bind in progress. */
  private async boundSession(): Promise<Session> {
    if (!this.bound) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.responseTimeoutMs);
        this.bindWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (!this.bound || !this.session) {
      throw new CarrierError('busy', 'NOT_BOUND', 'no SMPP bind to the carrier is up');
    }
    return this.session;
  }

  private open(): void {
    if (this.stopping) return;
    const { host, port, log } = this.options;
    const session = connect({ host, port }, () => this.bind(session));
    this.session = session;
    session.on('error', (error: Error) => log.warn({ err: error.message }, 'SMPP session error'));
    session.on('close', () => this.closed(session));
    session.on('deliver_sm', (pdu: Pdu) => void this.delivered(session, pdu));
    session.on('enquire_link', (pdu: Pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu: Pdu) => {
      session.send(pdu.response());
      session.close();
    });
  }

  private bind(session: Session): void {
    const { systemId, password, log } = this.options;
    session.send(
      new PDU('bind_transceiver', { system_id: systemId, password, interface_version: 0x34 }),
      (response) => {
        if (response.command_status !== Status.ROK) {
          log.error({ status: statusName(response.command_status) }, 'SMPP bind refused');
          session.destroy();
          return;
        }
        this.bound = true;
        this.attempts = 0;
        log.info({ host: this.options.host, port: this.options.port }, 'SMPP bound (transceiver)');
        for (const wake of this.bindWaiters.splice(0)) wake();
        this.keepAlive(session);
      },
    );
  }

  /** enquire_link every enquireLinkSeconds; a link that does not answer is dropped and reconnected. */
  private keepAlive(session: Session): void {
    clearInterval(this.enquireTimer);
    this.enquireTimer = setInterval(() => {
      this.exchange(session, 'enquire_link', {}).catch(() => {
        this.options.log.warn('SMPP enquire_link unanswered; reconnecting');
        session.destroy();
      });
    }, this.options.enquireLinkSeconds * 1000);
    this.enquireTimer.unref();
  }

  private closed(session: Session): void {
    const failures = this.pending.get(session);
    this.pending.delete(session);
    for (const fail of failures ?? [])
      fail(new CarrierError('busy', 'SESSION_LOST', 'the SMPP session closed before the answer'));
    if (this.session !== session) return;
    this.session = undefined;
    this.bound = false;
    clearInterval(this.enquireTimer);
    if (this.stopping) return;
    // Exponential backoff with full jitter, from reconnectMinMs up to reconnectMaxMs.
    const ceiling = Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** this.attempts);
    this.attempts += 1;
    const pause = this.options.reconnectMinMs + Math.random() * (ceiling - this.options.reconnectMinMs);
    this.options.log.warn({ pauseMs: Math.round(pause) }, 'SMPP session closed; reconnecting');
    this.reconnectTimer = setTimeout(() => this.open(), pause);
    this.reconnectTimer.unref();
  }

  /**
   * A deliver_sm: a delivery receipt or a mobile-originated message (or part of one), answered only once
   * messaging has recorded it; a failure asks the SMSC to send it again later. One that cannot be read
   * (an encoding Parley does not take) is refused for good.
   */
  private async delivered(session: Session, pdu: Pdu): Promise<void> {
    const receipt = parseReceipt(pdu);
    if (receipt === 'not-final') {
      session.send(pdu.response());
      return;
    }
    const inbound = receipt ? undefined : parseInbound(pdu);
    if (!receipt && !inbound) {
      this.options.log.warn({ dataCoding: pdu.data_coding }, 'deliver_sm not readable; refused');
      session.send(pdu.response({ command_status: ESME_RX_P_APPN }));
      return;
    }
    const record = receipt
      ? this.handleReceipt && (() => this.handleReceipt!(receipt))
      : this.handleInbound && (() => this.handleInbound!(inbound!));
    if (!record) {
      session.send(pdu.response({ command_status: ESME_RX_T_APPN }));
      return;
    }
    if (this.deliveries.queued >= this.options.deliverConcurrency * DELIVERIES_QUEUED_PER_SLOT) {
      session.send(pdu.response({ command_status: ESME_RX_T_APPN }));
      return;
    }
    await this.deliveries.take();
    try {
      await record();
      session.send(pdu.response());
    } catch (error) {
      this.options.log.warn(
        { err: (error as Error).message, kind: receipt ? 'receipt' : 'inbound' },
        'deliver_sm not recorded; the SMSC will resend it',
      );
      session.send(pdu.response({ command_status: ESME_RX_T_APPN }));
    } finally {
      this.deliveries.release();
    }
  }
}

/** data_coding values read as text: 0 SMSC default (GSM 03.38), 1 IA5, 3 Latin-1 (one octet a character). */
const SEPTET_CODINGS = new Set([0, 1, 3]);
const UCS2 = 8;
/** The most parts an inbound message may have (messages.segments allows up to 100). */
const MAX_INBOUND_PARTS = 100;

/** An SMPP address as messaging stores it: a number gets its '+' (E.164), anything else stays. */
const fromAddress = (addr: unknown) => {
  const text = String(addr ?? '');
  return /^\d{1,15}$/.test(text) ? `+${text}` : text;
};

/**
 * A mobile-originated deliver_sm, decoded (the package decodes short_message by data_coding and splits
 * off the UDH), with its place in a concatenated message: UDH information element 0x00 (8-bit reference)
 * or 0x08 (16-bit), else the sar_* TLVs. Undefined when it cannot be read as text.
 */
export function parseInbound(pdu: Pdu): InboundMessage | undefined {
  const dataCoding = Number(pdu.data_coding ?? 0) & 0xff;
  if (!SEPTET_CODINGS.has(dataCoding) && dataCoding !== UCS2) return undefined;
  const payload = (hasText(pdu.message_payload) ? pdu.message_payload : pdu.short_message) as
    { udh?: Buffer[]; message?: string | Buffer } | string | Buffer | undefined;
  const decoded = typeof payload === 'object' && payload !== null && !Buffer.isBuffer(payload) ? payload : {};
  const text = typeof payload === 'string' ? payload : decoded.message;
  if (typeof text !== 'string') return undefined;
  const part = partOf(decoded.udh ?? [], pdu);
  if (part === null) return undefined;
  return {
    from: fromAddress(pdu.source_addr),
    to: fromAddress(pdu.destination_addr),
    encoding: dataCoding === UCS2 ? 'UCS-2' : 'GSM-7',
    text,
    ...(part && part.total > 1 ? { part } : {}),
  };
}

function hasText(value: unknown): boolean {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value.length > 0;
  const message = (value as { message?: unknown } | undefined)?.message;
  return (typeof message === 'string' || Buffer.isBuffer(message)) && message.length > 0;
}

/** Where a part belongs; undefined for a whole message, null for a malformed header. */
function partOf(udh: Buffer[], pdu: Pdu): InboundMessage['part'] | null | undefined {
  let part: InboundMessage['part'];
  for (const element of udh) {
    if (element[0] === 0x00 && element[1] === 3 && element.length === 5)
      part = { reference: element[2]!, total: element[3]!, sequence: element[4]! };
    else if (element[0] === 0x08 && element[1] === 4 && element.length === 6)
      part = { reference: element.readUInt16BE(2), total: element[4]!, sequence: element[5]! };
    else if (element[0] === 0x00 || element[0] === 0x08) return null;
  }
  if (!part && pdu.sar_msg_ref_num !== undefined)
    part = {
      reference: Number(pdu.sar_msg_ref_num),
      total: Number(pdu.sar_total_segments),
      sequence: Number(pdu.sar_segment_seqnum),
    };
  if (!part) return undefined;
  // A message is stored with at most MAX_INBOUND_PARTS segments (far beyond what handsets send).
  const valid =
    Number.isInteger(part.total) &&
    part.total >= 1 &&
    part.total <= MAX_INBOUND_PARTS &&
    part.sequence >= 1 &&
    part.sequence <= part.total;
  return valid ? part : null;
}

/**
 * A delivery receipt's part id and outcome: from the TLVs receipted_message_id and message_state when
 * present, else from the receipt text (`id:... stat:DELIVRD err:000`); `not-final` for an intermediate
 * one (ENROUTE, ACCEPTED); undefined for anything that is not a receipt.
 */
export function parseReceipt(pdu: Pdu): Receipt | 'not-final' | undefined {
  if (((pdu.esm_class as number) & EsmClass.DELIVERY_RECEIPT) === 0) return undefined;
  const message = pdu.short_message as { message?: string } | string | undefined;
  const text = typeof message === 'string' ? message : (message?.message ?? '');
  const fromText = (key: string) => new RegExp(`(?:^|\\s)${key}:(\\S+)`, 'i').exec(text)?.[1];
  const id = (pdu.receipted_message_id as string | undefined) ?? fromText('id');
  if (!id) return undefined;
  const state = pdu.message_state as number | undefined;
  const stat = fromText('stat')?.toUpperCase();
  const err = fromText('err') ?? '000';
  if (state === ENROUTE || state === ACCEPTED || stat === 'ENROUTE' || stat === 'ACCEPTD') return 'not-final';
  // The receipt comes from the message's recipient to its sender and quotes its text (to the end).
  const quoted = /(?:^|\s)text:(.*)$/is.exec(text)?.[1];
  const echo =
    quoted !== undefined && pdu.source_addr && pdu.destination_addr
      ? { from: fromAddress(pdu.destination_addr), to: fromAddress(pdu.source_addr), text: quoted }
      : undefined;
  const receipt = (outcome: Pick<Receipt, 'state' | 'errorCode'>): Receipt => ({
    carrierMessageId: id,
    ...outcome,
    ...(echo ? { echo } : {}),
  });
  if (state === MessageState.DELIVERED || (state === undefined && stat === 'DELIVRD'))
    return receipt({ state: 'delivered', errorCode: null });
  if (state === MessageState.EXPIRED || (state === undefined && stat === 'EXPIRED'))
    return receipt({ state: 'expired', errorCode: 'EXPIRED' });
  return receipt({ state: 'undelivered', errorCode: `${stat ?? 'UNDELIV'}:${err}` });
}
