import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Pdu, type Server, type Session } from './smpp';
import { Counters } from '../counters';
import { readSubmittedText, Reassembler, type PartInfo } from './concatenation';
import { DeliveryQueue, type DeliveryTarget } from './deliveries';
import { destinationBehaviour, type DestinationBehaviour } from './magic';
import { MessageLog } from './messageLog';
import { formatReceipt, type ReceiptOutcome } from './receipt';
import { segmentText } from './segments';
import { EsmClass, Status } from './status';
import { SubmitThrottle } from './throttle';

export interface SmscOptions {
  host: string;
  /** 0 for any free port. */
  port: number;
  /** The one ESME account: its system_id and password. */
  systemId: string;
  password: string;
  /** Before every successful submit_sm_resp. */
  latencyMs: number;
  /** submit_sm per second and bind before ESME_RTHROTTLED; 0 for no limit. */
  maxTps: number;
  /** Unanswered submit_sm per session before ESME_RMSGQFUL; also the SMSC's own deliver_sm window. */
  maxWindow: number;
  /** How long a deliver_sm waits for its answer, and the pause before one answered with an error is sent again. */
  retryMs: number;
  dlrDelayMs: number;
  dlrSlowMs: number;
  /** True while the simulator's outage switch is on: connections are dropped. */
  paused: () => boolean;
  /** Where a failure of the simulator itself is reported (never a message's content). */
  onError: (message: string) => void;
}

export interface Smsc {
  host: string;
  port: number;
  counters: Counters;
  messages: MessageLog;
  /** Queues a mobile-originated message for the account's receivers (split into parts when long). */
  inbound(message: { from: string; to: string; text: string }): { id: string; parts: number };
  /** Counters with every name present, and the gauges (bound sessions, deliveries pending, ...). */
  snapshot(): Record<string, number>;
  /** Closes every session at once, as a failing SMSC does (the outage switch). */
  dropSessions(): void;
  stop(): Promise<void>;
}

type BindMode = 'transmitter' | 'receiver' | 'transceiver';

/** Every counter the SMSC keeps, listed in `GET /smsc/counters` even while 0. */
const COUNTER_NAMES = [
  'connections',
  'binds',
  'bindsRefused',
  'unbinds',
  'enquireLinks',
  'genericNacks',
  'submitsReceived',
  'submitsAccepted',
  'submitsRejected',
  'submitsHeld',
  'submitsDroppedOnClose',
  'throttled',
  'windowFull',
  'messagesAccepted',
  'duplicates',
  'partsReplaced',
  'receiptsSent',
  'receiptsAcked',
  'receiptsErrors',
  'receiptsUnanswered',
  'receiptsRefused',
  'receiptsInvalid',
  'inboundAccepted',
  'inboundSent',
  'inboundAcked',
  'inboundErrors',
  'inboundUnanswered',
  'inboundRefused',
  'inboundInvalid',
] as const;

/** One ESME connection and what the SMSC knows of it. */
class SmscSession implements DeliveryTarget {
  mode?: BindMode;
  systemId?: string;
  /** submit_sm received and not yet answered. */
  outstanding = 0;
  closed = false;
  readonly key = randomUUID();

  constructor(readonly session: Session) {}

  get canSubmit(): boolean {
    return this.mode === 'transmitter' || this.mode === 'transceiver';
  }

  get canReceive(): boolean {
    return this.mode === 'receiver' || this.mode === 'transceiver';
  }

  send(pdu: Pdu, onResponse?: (response: Pdu) => void): boolean {
    if (this.closed) return false;
    return this.session.send(pdu, onResponse);
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An address as the log shows it: international numbers in E.164 with `+`. */
const displayAddress = (ton: number, address: string) =>
  ton === 1 ? `+${address.replace(/^\+/, '')}` : address;

/** SMPP address fields for an E.164 number (international, ISDN numbering plan, digits without `+`). */
const international = (e164: string) => ({ ton: 1, npi: 1, addr: e164.replace(/^\+/, '') });

/** Checks a submit_sm's addresses; the SMPP status that refuses it, if any. */
function addressProblem(pdu: Pdu): number | undefined {
  if (pdu.dest_addr_ton !== 1) return Status.RINVDSTTON;
  if (pdu.dest_addr_npi !== 1) return Status.RINVDSTNPI;
  if (!/^\+?[1-9]\d{6,14}$/.test(String(pdu.destination_addr ?? ''))) return Status.RINVDSTADR;
  const source = String(pdu.source_addr ?? '');
  const sourceOk =
    pdu.source_addr_ton === 5
      ? source.length >= 1 && source.length <= 11
      : pdu.source_addr_ton === 1
        ? /^\+?[1-9]\d{6,14}$/.test(source)
        : /^\d{3,15}$/.test(source);
  return sourceOk ? undefined : Status.RINVSRCADR;
}

/** Which receipt registered_delivery asks for, given how the message ended (SMPP 3.4 section 5.2.17). */
function wantsReceipt(registeredDelivery: number, outcome: ReceiptOutcome): boolean {
  switch (registeredDelivery & 0x03) {
    case 1:
      return true;
    case 2:
      return outcome !== 'delivered';
    case 3:
      return outcome === 'delivered';
    default:
      return false;
  }
}

const receiptOutcome: Partial<Record<DestinationBehaviour, ReceiptOutcome>> = {
  deliver: 'delivered',
  slow_receipt: 'delivered',
  undelivered: 'undelivered',
  expire: 'expired',
};

interface AcceptedPart {
  messageId: string;
  text: string;
  dataCoding: number;
  reference?: number;
}

/**
 * The carrier's SMSC on loopback, speaking SMPP 3.4 through the `smpp` package's sessions and PDU codec:
 * binds checked against the one account, submit_sm answered after a latency (or refused as a real SMSC
 * refuses: throttled past the per-bind rate, queue full past the window, bad addresses, magic
 * destinations), concatenated messages joined and logged once, delivery receipts and mobile-originated
 * messages sent as deliver_sm to the account's receivers until they acknowledge them.
 */
export async function startSmsc(options: SmscOptions): Promise<Smsc> {
  const counters = new Counters();
  const messages = new MessageLog();
  const sessions = new Set<SmscSession>();
  const timers = new Set<NodeJS.Timeout>();
  const reassembler = new Reassembler<AcceptedPart>();
  const throttle = new SubmitThrottle(options.maxTps);
  let inboundReference = 0;

  const receivers = (systemId: string) =>
    [...sessions].filter((session) => session.canReceive && session.systemId === systemId);
  const deliveries = new DeliveryQueue({
    window: options.maxWindow,
    retryMs: options.retryMs,
    counters,
    targets: receivers,
  });

  const failed = (error: unknown) => options.onError(`smsc: ${(error as Error).message}`);
  const later = (delayMs: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      try {
        run();
      } catch (error) {
        failed(error);
      }
    }, delayMs);
    timers.add(timer);
  };

  const scheduleReceipt = (receipt: {
    systemId: string;
    pdu: Pdu;
    messageId: string;
    text: string;
    behaviour: DestinationBehaviour;
    submittedAt: Date;
  }) => {
    const outcome = receiptOutcome[receipt.behaviour];
    if (!outcome || !wantsReceipt(Number(receipt.pdu.registered_delivery ?? 0), outcome)) return;
    const { pdu } = receipt;
    later(receipt.behaviour === 'slow_receipt' ? options.dlrSlowMs : options.dlrDelayMs, () => {
      const formatted = formatReceipt({
        messageId: receipt.messageId,
        outcome,
        submittedAt: receipt.submittedAt,
        doneAt: new Date(),
        text: receipt.text,
      });
      deliveries.enqueue({
        kind: 'receipt',
        systemId: receipt.systemId,
        fields: {
          // From the handset the message went to, back to its sender.
          source_addr_ton: pdu.dest_addr_ton,
          source_addr_npi: pdu.dest_addr_npi,
          source_addr: pdu.destination_addr,
          dest_addr_ton: pdu.source_addr_ton,
          dest_addr_npi: pdu.source_addr_npi,
          destination_addr: pdu.source_addr,
          esm_class: EsmClass.DELIVERY_RECEIPT,
          data_coding: 0,
          short_message: Buffer.from(formatted.text, 'ascii'),
          receipted_message_id: receipt.messageId,
          message_state: formatted.messageState,
          // GSM network error 1 ("unknown subscriber") for an undelivered message.
          ...(outcome === 'undelivered' ? { network_error_code: Buffer.from([0x03, 0x00, 0x01]) } : {}),
        },
      });
    });
  };

  /** A part accepted: logs the whole message once its last part is in. */
  const recordPart = (
    smscSession: SmscSession,
    pdu: Pdu,
    accepted: AcceptedPart,
    part: PartInfo | undefined,
  ) => {
    const from = displayAddress(Number(pdu.source_addr_ton), String(pdu.source_addr));
    const to = displayAddress(1, String(pdu.destination_addr));
    let parts = [accepted];
    if (part) {
      const result = reassembler.add(`${smscSession.systemId}|${from}|${to}`, part, accepted);
      if (result.replaced) counters.add('partsReplaced');
      if (!result.complete) return;
      parts = result.complete;
    }
    const recorded = messages.record({
      id: parts[0]!.messageId,
      messageIds: parts.map((each) => each.messageId),
      systemId: smscSession.systemId!,
      from,
      to,
      text: parts.map((each) => each.text).join(''),
      parts: parts.length,
      dataCoding: parts[0]!.dataCoding,
      ...(parts[0]!.reference === undefined ? {} : { reference: parts[0]!.reference }),
      acceptedAt: new Date().toISOString(),
    });
    counters.add('messagesAccepted');
    if (recorded.duplicate) counters.add('duplicates');
  };

  const answer = (smscSession: SmscSession, pdu: Pdu, status: number, counter: string) => {
    counters.add(counter);
    smscSession.send(pdu.response({ command_status: status }));
  };

  const onSubmit = async (smscSession: SmscSession, pdu: Pdu) => {
    counters.add('submitsReceived');
    if (!smscSession.canSubmit) return answer(smscSession, pdu, Status.RINVBNDSTS, 'submitsRejected');
    if (smscSession.outstanding >= options.maxWindow)
      return answer(smscSession, pdu, Status.RMSGQFUL, 'windowFull');
    const behaviour = destinationBehaviour(String(pdu.destination_addr ?? ''));
    smscSession.outstanding += 1;
    // Never answered: it keeps its place in the window until the session closes.
    if (behaviour === 'no_response') return counters.add('submitsHeld');
    const refuse = (status: number, counter: string) => {
      smscSession.outstanding -= 1;
      answer(smscSession, pdu, status, counter);
    };
    const allowed = await throttle.admit(smscSession.key);
    if (!allowed || behaviour === 'throttle') return refuse(Status.RTHROTTLED, 'throttled');
    const addressStatus = addressProblem(pdu);
    if (addressStatus !== undefined) return refuse(addressStatus, 'submitsRejected');
    const submitted = readSubmittedText(pdu);
    if ('status' in submitted) return refuse(submitted.status, 'submitsRejected');
    if (behaviour === 'reject') return refuse(Status.RSUBMITFAIL, 'submitsRejected');

    const submittedAt = new Date();
    later(options.latencyMs, () => {
      smscSession.outstanding -= 1;
      const messageId = randomBytes(8).toString('hex');
      // Accepted only if the ESME can learn the id: a submit whose session closed meanwhile is dropped.
      if (!smscSession.send(pdu.response({ message_id: messageId })))
        return counters.add('submitsDroppedOnClose');
      counters.add('submitsAccepted');
      const reference = pdu.user_message_reference;
      recordPart(
        smscSession,
        pdu,
        {
          messageId,
          text: submitted.text,
          dataCoding: Number(pdu.data_coding ?? 0),
          ...(typeof reference === 'number' ? { reference } : {}),
        },
        submitted.part,
      );
      scheduleReceipt({
        systemId: smscSession.systemId!,
        pdu,
        messageId,
        text: submitted.text,
        behaviour,
        submittedAt,
      });
    });
  };

  const onBind = (smscSession: SmscSession, pdu: Pdu, mode: BindMode) => {
    if (smscSession.mode) return answer(smscSession, pdu, Status.RALYBND, 'bindsRefused');
    const systemId = String(pdu.system_id ?? '');
    const status = !sameSecret(systemId, options.systemId)
      ? Status.RBINDFAIL
      : !sameSecret(String(pdu.password ?? ''), options.password)
        ? Status.RINVPASWD
        : Status.ROK;
    if (status !== Status.ROK) {
      counters.add('bindsRefused');
      // The ESME learns why, then the SMSC hangs up.
      smscSession.session.send(pdu.response({ command_status: status }), () => smscSession.session.close());
      return;
    }
    smscSession.mode = mode;
    smscSession.systemId = systemId;
    counters.add('binds');
    smscSession.send(pdu.response({ system_id: 'carrier-sim', sc_interface_version: 0x34 }));
    if (smscSession.canReceive) deliveries.pump(systemId);
  };

  const handled = new Set([
    'bind_transmitter',
    'bind_receiver',
    'bind_transceiver',
    'submit_sm',
    'enquire_link',
    'unbind',
  ]);

  const server: Server = createServer((session) => {
    if (options.paused()) {
      session.destroy();
      return;
    }
    const smscSession = new SmscSession(session);
    sessions.add(smscSession);
    counters.add('connections');
    /** Runs a request's handler; a failure of the simulator itself is logged and answered ESME_RSYSERR. */
    const on = (command: string, handle: (pdu: Pdu) => unknown) =>
      session.on(command, (pdu: Pdu) => {
        const fail = (error: unknown) => {
          failed(error);
          smscSession.send(pdu.response({ command_status: Status.RSYSERR }));
        };
        try {
          Promise.resolve(handle(pdu)).catch(fail);
        } catch (error) {
          fail(error);
        }
      });
    on('bind_transmitter', (pdu) => onBind(smscSession, pdu, 'transmitter'));
    on('bind_receiver', (pdu) => onBind(smscSession, pdu, 'receiver'));
    on('bind_transceiver', (pdu) => onBind(smscSession, pdu, 'transceiver'));
    on('submit_sm', (pdu) => onSubmit(smscSession, pdu));
    on('enquire_link', (pdu) => answer(smscSession, pdu, Status.ROK, 'enquireLinks'));
    on('unbind', (pdu) => {
      counters.add('unbinds');
      smscSession.mode = undefined;
      deliveries.release(smscSession);
      session.send(pdu.response(), () => session.close());
    });
    session.on('pdu', (pdu: Pdu) => {
      if (pdu.isResponse() || handled.has(pdu.command)) return;
      // An unknown command id gets generic_nack; a known one the SMSC does not offer, its own response.
      if (pdu.command === 'unknown') counters.add('genericNacks');
      smscSession.send(pdu.response({ command_status: Status.RINVCMDID }));
    });
    session.on('error', () => session.destroy());
    session.on('close', () => {
      smscSession.closed = true;
      smscSession.mode = undefined;
      sessions.delete(smscSession);
      deliveries.release(smscSession);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  const dropSessions = () => {
    for (const smscSession of sessions) smscSession.session.destroy();
  };

  return {
    host: options.host,
    port,
    counters,
    messages,
    inbound: ({ from, to, text }) => {
      const id = randomUUID();
      const { dataCoding, parts } = segmentText(text);
      inboundReference = (inboundReference + 1) % 256;
      const source = international(from);
      const destination = international(to);
      parts.forEach((octets, index) => {
        const header =
          parts.length > 1
            ? Buffer.from([0x05, 0x00, 0x03, inboundReference, parts.length, index + 1])
            : undefined;
        deliveries.enqueue({
          kind: 'inbound',
          systemId: options.systemId,
          fields: {
            source_addr_ton: source.ton,
            source_addr_npi: source.npi,
            source_addr: source.addr,
            dest_addr_ton: destination.ton,
            dest_addr_npi: destination.npi,
            destination_addr: destination.addr,
            esm_class: header ? EsmClass.UDH_INDICATOR : 0,
            data_coding: dataCoding,
            short_message: header ? Buffer.concat([header, octets]) : octets,
          },
        });
      });
      counters.add('inboundAccepted');
      return { id, parts: parts.length };
    },
    snapshot: () => ({
      ...Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])),
      ...counters.snapshot(),
      sessionsBound: [...sessions].filter((each) => each.mode).length,
      deliveriesPending: deliveries.pending,
      messagesIncomplete: reassembler.incomplete,
    }),
    dropSessions,
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      deliveries.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropSessions();
      await closed;
    },
  };
}
