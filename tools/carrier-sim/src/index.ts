// What other packages may use from the simulator: starting it in-process and checking its callbacks.
export { startCarrierSim, type CarrierSim } from './server';
export { loadSimConfig, type SimConfig } from './config';
export { signCallback, verifyCallback, SIGNATURE_HEADER, TIMESTAMP_HEADER, EVENT_ID_HEADER } from './signing';
export { placeCall, type PlacedCall, type CallDetailRecord } from './calls/calls';
export { MAGIC_SUFFIXES } from './numbers/inventory';
export { MAGIC_DESTINATIONS, type DestinationBehaviour } from './smsc/magic';
export type { AcceptedMessage } from './smsc/messageLog';
export {
  spawnCarrierSim,
  spawnTool,
  type SpawnedCarrierSim,
  type SpawnedTool,
  type SpawnToolOptions,
} from './spawn';
