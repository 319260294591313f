// The callback signature scheme lives in the kit (services check it with the same code; the module alone is
// imported, not the whole kit); these are the simulator's names for it.
import {
  CARRIER_CALLBACK_HEADERS,
  signCarrierCallback,
  verifyCarrierCallback,
} from '@parley/kit/src/carrier/callbackSignature';

/** Headers of a signed callback (tools/carrier-sim/README.md, "Callbacks"). */
export const SIGNATURE_HEADER = CARRIER_CALLBACK_HEADERS.signature;
export const TIMESTAMP_HEADER = CARRIER_CALLBACK_HEADERS.timestamp;
export const EVENT_ID_HEADER = CARRIER_CALLBACK_HEADERS.eventId;
export const signCallback = signCarrierCallback;
export const verifyCallback = verifyCarrierCallback;
