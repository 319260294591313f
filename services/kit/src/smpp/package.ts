// The parts of the `smpp` package (node-smpp: plain JavaScript without types) that messaging's SMPP client
// and the carrier simulator's SMSC use, typed once here rather than by an ambient `declare module`. Field
// names are the SMPP specification's.
import type { EventEmitter } from 'node:events';
import type { Server as NetServer, Socket } from 'node:net';

/** A PDU: header fields, the command's parameters and TLVs by their specification names. */
export interface Pdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  [field: string]: unknown;
  isResponse(): boolean;
  /** The response to this request (a `generic_nack` for an unknown command). */
  response(fields?: Record<string, unknown>): Pdu;
  /** Encodes it for the wire. */
  toBuffer(): Buffer;
}

export interface Session extends EventEmitter {
  socket: Socket;
  /** Sends a request (its sequence number is set here) or a response; false when the socket is closed. */
  send(pdu: Pdu, onResponse?: (response: Pdu) => void, onSent?: (pdu: Pdu) => void): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
}

export interface Server extends NetServer {
  sessions: Session[];
}

type Encoding = {
  match(text: string): boolean;
  encode(text: string): Buffer;
  decode(octets: Buffer): string;
};

interface SmppPackage {
  PDU: {
    new (command: string, fields?: Record<string, unknown>): Pdu;
    /** Decodes a whole PDU (as read from the wire). */
    new (octets: Buffer): Pdu;
  };
  createServer(listener?: (session: Session) => void): Server;
  connect(options: { host: string; port: number }, listener?: () => void): Session;
  /** Text encodings by name (ASCII is the GSM 03.38 default alphabet, one septet per octet). */
  encodings: Record<'ASCII' | 'LATIN1' | 'UCS2', Encoding>;
}

const smpp = require('smpp') as SmppPackage;

export const { PDU, createServer, connect, encodings } = smpp;
