import type { TopUpStatus } from '../db/paymentsSchema';
import type { ChargeOutcome } from './paymentProcessor';

/**
 * Where a top-up goes when its charge is said to stand at `outcome` (by the processor's answer or by a
 * webhook, in whatever order they come): `pending → requires_action → succeeded | failed`, forward only.
 * `undefined` means no change: the news is old (a `requires_action` after the charge succeeded), repeated,
 * or contradicts a final state (which the processor never changes). Only the step into `succeeded` credits.
 */
export function nextTopUpStatus(current: TopUpStatus, outcome: ChargeOutcome): TopUpStatus | undefined {
  if (current === 'succeeded' || current === 'failed') return undefined;
  if (outcome.status === 'requires_action') return current === 'pending' ? 'requires_action' : undefined;
  return outcome.status;
}
