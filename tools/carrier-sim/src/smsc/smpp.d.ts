// The parts of the `smpp` package (node-smpp, plain JavaScript without its own types) the simulator and
// its tests use. Field names are the SMPP specification's, as the package spells them.
declare module 'smpp' {
  import { EventEmitter } from 'node:events';
  import { Server as NetServer, Socket } from 'node:net';

  /** A PDU: header fields, the command's parameters and TLVs by their specification names. */
  export interface Pdu {
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    /** Encodes it for the wire. */
    toBuffer(): Buffer;
    /** The response to this request (a `generic_nack` for an unknown command). */
    response(fields?: Record<string, unknown>): Pdu;
  }

  export const PDU: {
    new (command: string, fields?: Record<string, unknown>): Pdu;
    /** Decodes a whole PDU (as read from the wire). */
    new (octets: Buffer): Pdu;
    maxLength: number;
  };

  export class Session extends EventEmitter {
    socket: Socket;
    /** Sends a request (its sequence number is set here) or a response; false when the socket is closed. */
    send(pdu: Pdu, onResponse?: (response: Pdu) => void, onSent?: (pdu: Pdu) => void): boolean;
    pause(): void;
    resume(): void;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
  }

  export class Server extends NetServer {
    sessions: Session[];
  }

  export function createServer(listener?: (session: Session) => void): Server;
  export function connect(options: { host: string; port: number }, listener?: () => void): Session;

  /** Text encodings by name (ASCII is the GSM 03.38 default alphabet, one septet per octet). */
  export const encodings: Record<
    'ASCII' | 'LATIN1' | 'UCS2',
    { match(text: string): boolean; encode(text: string): Buffer; decode(octets: Buffer): string }
  >;

  export const errors: Record<string, number>;
  export const ESME_ROK: number;
}
