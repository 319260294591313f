import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AppError, type ErrorKind, type FieldViolation } from '../errors';
import type { Logger } from '../logging';

const codeByKind: Record<ErrorKind, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
};

export const REASON_KEY = 'parley-reason';
export const FIELD_VIOLATIONS_KEY = 'parley-field-violations-bin';
export const RETRY_AFTER_KEY = 'parley-retry-after';

/** The one adapter from a thrown error to a gRPC status. Unknown errors become INTERNAL with a generic message. */
export function toServiceError(error: unknown, log: Logger): Partial<ServiceError> {
  const metadata = new Metadata();
  if (error instanceof AppError) {
    metadata.set(REASON_KEY, error.reason);
    if (error.fieldViolations.length > 0) {
      metadata.set(FIELD_VIOLATIONS_KEY, Buffer.from(JSON.stringify(error.fieldViolations)));
    }
    if (error.retryAfterSeconds !== undefined) {
      metadata.set(RETRY_AFTER_KEY, String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
    }
    return { code: codeByKind[error.kind], details: error.message, metadata };
  }
  log.error({ err: error }, 'unhandled error in RPC');
  metadata.set(REASON_KEY, 'INTERNAL');
  return { code: status.INTERNAL, details: 'internal error', metadata };
}

export interface DecodedStatus {
  code: status;
  reason: string;
  message: string;
  fieldViolations: FieldViolation[];
  /** Seconds the service asked the caller to wait before retrying (UNAVAILABLE), when it said. */
  retryAfterSeconds?: number;
}

/** Reads back what toServiceError wrote (used by callers such as the gateway). */
export function decodeServiceError(error: unknown): DecodedStatus {
  const serviceError = error as Partial<ServiceError>;
  const code = typeof serviceError.code === 'number' ? serviceError.code : status.UNKNOWN;
  const reasonValue = serviceError.metadata?.get(REASON_KEY)[0];
  const violationsValue = serviceError.metadata?.get(FIELD_VIOLATIONS_KEY)[0];
  let fieldViolations: FieldViolation[] = [];
  if (violationsValue) {
    try {
      fieldViolations = JSON.parse(Buffer.from(violationsValue).toString('utf8')) as FieldViolation[];
    } catch {
      fieldViolations = [];
    }
  }
  const retryAfterValue = serviceError.metadata?.get(RETRY_AFTER_KEY)[0];
  const retryAfter = typeof retryAfterValue === 'string' ? Number.parseInt(retryAfterValue, 10) : NaN;
  return {
    code,
    reason: typeof reasonValue === 'string' ? reasonValue : (status[code] ?? 'UNKNOWN'),
    message: serviceError.details ?? 'upstream error',
    fieldViolations,
    ...(Number.isInteger(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
}
