// The messaging service's errors: the kit's closed set with this service's stable reasons.
import { failedPrecondition, invalidArgument, notFound, unavailable, type FieldViolation } from '@parley/kit';

export const webhookRequestInvalid = (violations: FieldViolation[]) =>
  invalidArgument(
    'WEBHOOK_REQUEST_INVALID',
    violations.map((v) => `${v.field}: ${v.description}`).join('; '),
    violations,
  );
export const webhookUrlInvalid = (problem: string) =>
  invalidArgument('WEBHOOK_URL_INVALID', `the webhook URL ${problem}`, [
    { field: 'url', description: problem },
  ]);
export const webhookSecretNotFound = () =>
  notFound('WEBHOOK_SECRET_NOT_FOUND', 'no such webhook secret in this tenant');
export const webhookSecretLimit = (limit: number) =>
  failedPrecondition(
    'WEBHOOK_SECRET_LIMIT',
    `at most ${limit} secrets may sign at once; retire one and let it expire first`,
  );
export const webhookSecretLast = () =>
  failedPrecondition(
    'WEBHOOK_SECRET_LAST',
    'this is the only current secret; create its successor before retiring it',
  );
export const webhookDeliveryNotFound = () =>
  notFound('WEBHOOK_DELIVERY_NOT_FOUND', 'no such webhook delivery in this tenant');
export const webhookDeliveryNotRetryable = (status: string) =>
  failedPrecondition(
    'WEBHOOK_DELIVERY_NOT_RETRYABLE',
    `the delivery is ${status}; only failed or disabled deliveries can be retried`,
  );

export { invalidArgument, notFound, failedPrecondition };

export const invalidRequest = (violations: FieldViolation[]) =>
  invalidArgument(
    'MESSAGING_INVALID_REQUEST',
    violations.map((v) => `${v.field}: ${v.description}`).join('; '),
    violations,
  );
export const senderNotFound = () =>
  notFound('SENDER_NOT_FOUND', 'from is not an active number of this tenant');
export const senderCapabilityMissing = (capability: 'sms' | 'mms') =>
  failedPrecondition(
    'SENDER_CAPABILITY_MISSING',
    `from cannot send ${capability.toUpperCase()}: the number lacks the ${capability} capability`,
  );
export const sendNotAuthorised = (reason: string, message: string) => failedPrecondition(reason, message);
export const messageNotFound = () => notFound('MESSAGE_NOT_FOUND', 'no such message in this tenant');
export const callNotFound = () => notFound('CALL_NOT_FOUND', 'no such call record in this tenant');
export const numberingUnavailable = () =>
  unavailable('UPSTREAM_UNAVAILABLE', 'the sender number cannot be checked right now; retry later', 1);

export const billingUnavailable = () =>
  unavailable('UPSTREAM_UNAVAILABLE', 'the send cannot be authorised right now; retry later', 1);

/** The recipient asked for their data to be restricted: it is stored, not used to send (PRIVACY.md). */
export const recipientRestricted = () =>
  failedPrecondition(
    'PROCESSING_RESTRICTED',
    "processing of the recipient's data is restricted at their request; nothing was sent",
  );

/** The recipient sent STOP (or another opt-out keyword) to the sender number: nothing is sent to them from it. */
export const recipientOptedOut = () =>
  failedPrecondition(
    'RECIPIENT_OPTED_OUT',
    'the recipient opted out of messages from this number (STOP); they opt back in by sending START',
  );
