/**
 * The SMPP 3.4 command_status values the SMSC answers (section 5.1.3; ESME_RINVDCS is SMPP 5.0's, which
 * SMSCs send to 3.4 clients too).
 */
export const Status = {
  ROK: 0x0000,
  RINVMSGLEN: 0x0001,
  RINVCMDID: 0x0003,
  RINVBNDSTS: 0x0004,
  RALYBND: 0x0005,
  RSYSERR: 0x0008,
  RINVSRCADR: 0x000a,
  RINVDSTADR: 0x000b,
  RBINDFAIL: 0x000d,
  RINVPASWD: 0x000e,
  RMSGQFUL: 0x0014,
  RINVESMCLASS: 0x0043,
  RSUBMITFAIL: 0x0045,
  RINVDSTTON: 0x0050,
  RINVDSTNPI: 0x0051,
  RTHROTTLED: 0x0058,
  RX_P_APPN: 0x0065,
  RX_R_APPN: 0x0066,
  RINVTLVVAL: 0x00c4,
  RMISSINGTLV: 0x00c3,
  RINVDCS: 0x0104,
} as const;

/** SMPP 3.4 message_state values (section 5.2.28) the receipts carry. */
export const MessageState = { DELIVERED: 2, EXPIRED: 3, UNDELIVERABLE: 5 } as const;

/** esm_class bits (section 5.2.12). */
export const EsmClass = { DELIVERY_RECEIPT: 0x04, UDH_INDICATOR: 0x40 } as const;
