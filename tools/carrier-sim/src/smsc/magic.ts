/**
 * What the SMSC does with a message, chosen by the last four digits of its destination, the way carrier
 * test environments offer numbers that fail on purpose. The endings are not the number API's (`…9990` to
 * `…9992`), and every other destination is delivered.
 */
export type DestinationBehaviour =
  /** submit_sm accepted, receipt `stat:DELIVRD` after CARRIER_SIM_DLR_DELAY_MS */
  | 'deliver'
  /** submit_sm accepted, receipt `stat:UNDELIV err:001` */
  | 'undelivered'
  /** submit_sm refused with ESME_RSUBMITFAIL */
  | 'reject'
  /** submit_sm refused with ESME_RTHROTTLED, every time */
  | 'throttle'
  /** submit_sm accepted, no receipt ever */
  | 'no_receipt'
  /** submit_sm accepted, receipt `stat:DELIVRD` after CARRIER_SIM_DLR_SLOW_MS */
  | 'slow_receipt'
  /** submit_sm accepted, receipt `stat:EXPIRED` */
  | 'expire'
  /** submit_sm never answered (it keeps its place in the window until the session closes) */
  | 'no_response';

/** The magic endings (README, "SMSC magic destinations"). */
export const MAGIC_DESTINATIONS: Readonly<Record<string, DestinationBehaviour>> = {
  '9980': 'undelivered',
  '9981': 'reject',
  '9982': 'throttle',
  '9983': 'no_receipt',
  '9984': 'slow_receipt',
  '9985': 'expire',
  '9986': 'no_response',
};

/** The behaviour for a destination address (digits, with or without a leading `+`). */
export function destinationBehaviour(destination: string): DestinationBehaviour {
  return MAGIC_DESTINATIONS[destination.slice(-4)] ?? 'deliver';
}
