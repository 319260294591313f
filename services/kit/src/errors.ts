/**
 * The closed set of errors a service raises. Domain code throws these; exactly one adapter
 * (grpc/status.ts) turns them into gRPC status, and the gateway turns that into problem+json.
 * `reason` is a stable UPPER_SNAKE code that clients may switch on.
 */
export type ErrorKind =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'unauthenticated'
  | 'permission_denied'
  | 'resource_exhausted'
  | 'unavailable';

export interface FieldViolation {
  /** The field, as the API spells it (lowerCamelCase, dotted for nested fields). */
  field: string;
  description: string;
}

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly reason: string,
    message: string,
    readonly fieldViolations: FieldViolation[] = [],
    /** For `unavailable`: when it is worth trying again, if known (sent as gRPC metadata, then `Retry-After`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const invalidArgument = (reason: string, message: string, fieldViolations: FieldViolation[] = []) =>
  new AppError('invalid_argument', reason, message, fieldViolations);
export const notFound = (reason: string, message: string) => new AppError('not_found', reason, message);
export const alreadyExists = (reason: string, message: string) =>
  new AppError('already_exists', reason, message);
export const failedPrecondition = (reason: string, message: string) =>
  new AppError('failed_precondition', reason, message);
export const unauthenticated = (reason: string, message: string) =>
  new AppError('unauthenticated', reason, message);
/** A dependency (an upstream supplier, say) is down; `retryAfterSeconds` tells the client when to try again. */
export const unavailable = (reason: string, message: string, retryAfterSeconds?: number) =>
  new AppError('unavailable', reason, message, [], retryAfterSeconds);
export const permissionDenied = (reason: string, message: string) =>
  new AppError('permission_denied', reason, message);
/** A quota is used up (429 at the gateway): the message says which and when it resets, never whose. */
export const resourceExhausted = (reason: string, message: string) =>
  new AppError('resource_exhausted', reason, message);

/**
 * True for an error that retrying cannot cure: the input is wrong (invalid argument), the state of things
 * forbids it (failed precondition), or it clashes with what exists (already exists). Everything else, a
 * database or a dependency that is down included, may pass and is worth retrying.
 */
export function isPermanentError(error: unknown): error is AppError {
  return (
    error instanceof AppError &&
    (error.kind === 'invalid_argument' ||
      error.kind === 'failed_precondition' ||
      error.kind === 'already_exists')
  );
}
