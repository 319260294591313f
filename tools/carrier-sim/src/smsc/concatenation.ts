import type { Pdu } from './smpp';
import { Status } from './status';

/** Where a part belongs: the ESME's reference for the whole message, how many parts, which one. */
export interface PartInfo {
  /** How the reference came: UDH information element 0x00 (8-bit), 0x08 (16-bit), or the sar_* TLVs. */
  scheme: 'udh8' | 'udh16' | 'sar';
  reference: number;
  total: number;
  sequence: number;
}

/** A submitted short message, decoded: its text, and where it belongs when it is one part of several. */
export interface SubmittedText {
  /** The decoded text; binary content (data_coding 4) as hex. */
  text: string;
  part?: PartInfo;
}

/** data_coding values accepted: 0 SMSC default (GSM 03.38), 1 IA5, 3 Latin-1, 4 8-bit binary, 8 UCS-2. */
const acceptedDataCodings = new Set([0, 1, 3, 4, 8]);

interface DecodedMessage {
  udh?: Buffer[];
  message: string | Buffer;
}

function isDecoded(value: unknown): value is DecodedMessage {
  return typeof value === 'object' && value !== null && 'message' in value;
}

function hasContent(value: unknown): boolean {
  if (isDecoded(value)) return value.message.length > 0 || (value.udh?.length ?? 0) > 0;
  return Buffer.isBuffer(value) && value.length > 0;
}

const invalid = (status: number, reason: string) => ({ status, reason });

function partFromUdh(elements: Buffer[]): PartInfo | { status: number; reason: string } | undefined {
  for (const element of elements) {
    const [id, length] = [element[0], element[1]];
    if (id === 0x00 || id === 0x08) {
      const expected = id === 0x00 ? 3 : 4;
      if (length !== expected || element.length !== expected + 2)
        return invalid(Status.RINVMSGLEN, 'malformed concatenation header');
      const data = element.subarray(2);
      return id === 0x00
        ? { scheme: 'udh8', reference: data[0]!, total: data[1]!, sequence: data[2]! }
        : { scheme: 'udh16', reference: data.readUInt16BE(0), total: data[2]!, sequence: data[3]! };
    }
  }
  return undefined;
}

function partFromSar(pdu: Pdu): PartInfo | { status: number; reason: string } | undefined {
  const values = [pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum];
  const given = values.filter((value) => value !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) return invalid(Status.RMISSINGTLV, 'sar_* TLVs must come together');
  const [reference, total, sequence] = values as number[];
  return { scheme: 'sar', reference: reference!, total: total!, sequence: sequence! };
}

/**
 * Reads a submit_sm's text (short_message, or message_payload when short_message is empty) and its place in
 * a concatenated message (UDH with esm_class 0x40, or the sar_* TLVs); `status` when it is not acceptable.
 */
export function readSubmittedText(pdu: Pdu): SubmittedText | { status: number; reason: string } {
  const dataCoding = Number(pdu.data_coding ?? 0);
  if (!acceptedDataCodings.has(dataCoding))
    return invalid(Status.RINVDCS, `data_coding ${dataCoding} not supported`);
  if (hasContent(pdu.short_message) && hasContent(pdu.message_payload))
    return invalid(Status.RINVMSGLEN, 'short_message and message_payload both given');
  const body = hasContent(pdu.message_payload) ? pdu.message_payload : pdu.short_message;
  const decoded: DecodedMessage = isDecoded(body)
    ? body
    : { message: Buffer.isBuffer(body) ? body : Buffer.alloc(0) };
  const text = typeof decoded.message === 'string' ? decoded.message : decoded.message.toString('hex');

  const part = partFromUdh(decoded.udh ?? []) ?? partFromSar(pdu);
  if (part && 'status' in part) return part;
  if (part && (part.total < 1 || part.sequence < 1 || part.sequence > part.total))
    return invalid(
      part.scheme === 'sar' ? Status.RINVTLVVAL : Status.RINVMSGLEN,
      'part number outside 1..total',
    );
  return part && part.total > 1 ? { text, part } : { text };
}

/**
 * Holds the parts of concatenated messages until every part has come: `add` answers the parts in order
 * once the last one arrives. A part sent again before then replaces the earlier copy.
 */
export class Reassembler<T> {
  private readonly pending = new Map<string, { total: number; parts: Map<number, T> }>();

  add(key: string, part: PartInfo, value: T): { complete?: T[]; replaced: boolean } {
    const fullKey = `${key}|${part.scheme}|${part.reference}|${part.total}`;
    let entry = this.pending.get(fullKey);
    if (!entry) {
      entry = { total: part.total, parts: new Map() };
      this.pending.set(fullKey, entry);
    }
    const replaced = entry.parts.has(part.sequence);
    entry.parts.set(part.sequence, value);
    if (entry.parts.size < entry.total) return { replaced };
    this.pending.delete(fullKey);
    const complete = [...entry.parts.entries()].sort(([a], [b]) => a - b).map(([, partValue]) => partValue);
    return { complete, replaced };
  }

  /** Messages still waiting for parts. */
  get incomplete(): number {
    return this.pending.size;
  }
}
