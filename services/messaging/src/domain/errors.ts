// The messaging service's errors: the kit's closed set with this service's stable reasons.
import { failedPrecondition, invalidArgument, notFound, unavailable, type FieldViolation } from '@parley/kit';

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
export const numberingUnavailable = () =>
  unavailable('UPSTREAM_UNAVAILABLE', 'the sender number cannot be checked right now; retry later', 1);
