// The identity service's errors: the kit's closed set with this service's stable reasons.
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  unauthenticated,
  type FieldViolation,
} from '@parley/kit';

export const invalidTenant = (violations: FieldViolation[]) =>
  invalidArgument(
    'TENANT_INVALID',
    violations.map((v) => `${v.field}: ${v.description}`).join('; '),
    violations,
  );
export const tenantConflict = (id: string) =>
  alreadyExists('TENANT_EXISTS', `tenant ${id} already exists with different attributes`);
export const tenantNotFound = (id: string) => notFound('TENANT_NOT_FOUND', `tenant ${id} does not exist`);
export const invalidApiKeyRequest = (violations: FieldViolation[]) =>
  invalidArgument(
    'API_KEY_INVALID_REQUEST',
    violations.map((v) => `${v.field}: ${v.description}`).join('; '),
    violations,
  );
export const apiKeyRejected = (reason: 'API_KEY_INVALID' | 'API_KEY_REVOKED' | 'API_KEY_EXPIRED') =>
  unauthenticated(
    reason,
    reason === 'API_KEY_REVOKED'
      ? 'API key has been revoked'
      : reason === 'API_KEY_EXPIRED'
        ? 'API key has expired'
        : 'API key is not valid',
  );
export const twilioAuthTokenMissing = () =>
  failedPrecondition(
    'TWILIO_AUTH_TOKEN_MISSING',
    'the tenant has no Twilio auth token (POST /v1/tenant/twilio-auth-token creates one)',
  );
export const twilioCallbackInvalid = (violations: FieldViolation[]) =>
  invalidArgument(
    'TWILIO_CALLBACK_INVALID',
    violations.map((v) => `${v.field}: ${v.description}`).join('; '),
    violations,
  );
