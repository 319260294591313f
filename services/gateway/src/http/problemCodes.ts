/**
 * Every stable problem `code` the public API can answer with, the HTTP status it comes with, and what it
 * means to a partner. A route names the codes its backends can give (`Route.problems`); the ones that follow
 * from the route's shape (a body, an id, a scope, Idempotency-Key, rate limits) are added by
 * `problemCodesOf`. The OpenAPI document lists, per operation and status, exactly these codes as an enum, so
 * an answer carrying an undeclared code fails the API fuzzing suite instead of drifting unnoticed.
 */
interface ProblemDefinition {
  status: number;
  /** A second status the same code comes with (a backend that is down: 503; one that is too slow: 504). */
  alsoStatus?: number;
  description: string;
}

const define = <T extends Record<string, ProblemDefinition>>(catalogue: T) => catalogue;

export const problemCatalogue = define({
  // The gateway's own answers, for any route of the right shape.
  VALIDATION_FAILED: { status: 400, description: 'A field fails its schema; `errors` names each field.' },
  CONTROL_CHARACTER: {
    status: 400,
    description: 'A text field holds a control character (such as NUL); `errors` names the field.',
  },
  CARD_NUMBER_REFUSED: {
    status: 400,
    description:
      'The path, query or body holds what looks like a full card number (13 to 19 digits passing the Luhn check). Parley never takes card numbers: tokenise the card with the payment processor and send its token. `errors` names the field, never the digits.',
  },
  BODY_NOT_JSON: { status: 400, description: 'The body is not valid JSON.' },
  REQUEST_MALFORMED: { status: 400, description: 'The request cannot be read as HTTP asks.' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, description: 'The `Idempotency-Key` header is malformed.' },
  AUTHENTICATION_REQUIRED: { status: 401, description: 'No `Authorization: Bearer` credential was sent.' },
  CREDENTIAL_INVALID: { status: 401, description: 'The credential is neither an API key nor a token.' },
  API_KEY_INVALID: { status: 401, description: 'The API key is not one Parley issued.' },
  API_KEY_REVOKED: { status: 401, description: 'The API key has been revoked.' },
  API_KEY_EXPIRED: { status: 401, description: 'The API key has expired.' },
  TOKEN_INVALID: { status: 401, description: 'The access token is not one Parley can verify.' },
  TOKEN_EXPIRED: { status: 401, description: 'The access token has expired.' },
  TOKEN_ISSUER_UNTRUSTED: { status: 401, description: 'The access token comes from an untrusted issuer.' },
  TOKEN_AUDIENCE_INVALID: { status: 401, description: 'The access token is not meant for this API.' },
  TOKEN_TENANT_MISSING: { status: 401, description: 'The access token names no tenant.' },
  TOKEN_ACCOUNT_CLOSED: {
    status: 401,
    description: 'The access token belongs to an account that has since been closed or erased.',
  },
  TOKEN_TENANT_MISMATCH: { status: 401, description: "The access token's tenant does not match its realm." },
  TENANT_INACTIVE: { status: 401, description: "The credential's tenant is suspended or closed." },
  SCOPE_MISSING: { status: 403, description: 'The credential lacks the scope this operation needs.' },
  RESOURCE_NOT_FOUND: { status: 404, description: 'A path parameter is not a well-formed id.' },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    description:
      'A request with the same `Idempotency-Key` is still being carried out; retry after `Retry-After` seconds.',
  },
  BODY_TOO_LARGE: { status: 413, description: 'The body is larger than 1 MB.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The body is not `application/json`.' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    description: 'The `Idempotency-Key` was already used for a different request.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    description: 'The request line and headers together are larger than the server accepts (16 KB).',
  },
  RATE_LIMITED: { status: 429, description: 'Too many requests; retry after `Retry-After` seconds.' },
  INTERNAL: { status: 500, description: 'An unexpected error; nothing about it is disclosed.' },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    alsoStatus: 504,
    description: 'A backing service did not answer (503) or not in time (504); retry later.',
  },

  // What the services behind the gateway answer.
  PAGE_TOKEN_INVALID: { status: 400, description: '`pageToken` is not one this API issued for this list.' },
  PAGE_SIZE_INVALID: { status: 400, description: '`pageSize` is out of range.' },
  TENANT_INVALID: { status: 400, description: 'A tenant attribute is invalid; `errors` names it.' },
  TENANT_ID_INVALID: { status: 400, description: 'The tenant id is not a valid id.' },
  JURISDICTION_UNKNOWN: { status: 400, description: 'The jurisdiction is not one Parley knows.' },
  TENANT_NOT_FOUND: { status: 404, description: 'No tenant has this id.' },
  TENANT_EXISTS: { status: 409, description: 'A tenant with this id exists with different attributes.' },
  TENANT_PROVISIONING: { status: 422, description: 'The tenant is still being provisioned.' },
  TENANT_NOT_CLOSABLE: { status: 422, description: 'The platform tenant cannot be closed.' },
  ACCOUNT_INVALID: { status: 400, description: 'A profile field is invalid; `errors` names it.' },
  PASSWORD_INVALID: { status: 400, description: 'The password is too short or too weak.' },
  UNDER_MINIMUM_AGE: { status: 400, description: "The holder is younger than the tenant's minimum age." },
  ROLES_INVALID: { status: 400, description: 'A role is unknown or not one the caller may give.' },
  ACCOUNT_NOT_FOUND: { status: 404, description: 'No account of your tenant has this id.' },
  ACCOUNT_EMAIL_TAKEN: { status: 409, description: 'Another account of your tenant has this e-mail.' },
  ACCOUNT_CLOSED: { status: 422, description: 'The account is closed.' },
  NOT_A_USER: {
    status: 403,
    description: 'The credential is not a logged-in user (an API key has no account).',
  },
  SCOPE_ESCALATION: {
    status: 403,
    description: 'The request grants a scope or role the caller does not hold.',
  },
  API_KEY_INVALID_REQUEST: {
    status: 400,
    description: 'The key request is invalid; `errors` names the field.',
  },
  API_KEY_NOT_FOUND: { status: 404, description: 'No API key of your tenant has this id.' },
  OAUTH_CLIENT_NOT_FOUND: { status: 404, description: 'No OAuth client of your tenant has this id.' },
  IDENTITY_PROVIDER_UNAVAILABLE: { status: 503, description: 'The identity provider did not answer.' },
  RATE_LIMITS_NOT_OVERRIDDEN: { status: 404, description: 'This tenant has no rate limits of its own.' },
  DEAD_LETTER_ID_INVALID: { status: 400, description: 'The id is not `<service>:<uuid>` as listed.' },
  DEAD_LETTER_NOT_FOUND: { status: 404, description: 'No parked entry has this id.' },
  REPLAY_FAILED: { status: 422, description: 'The consumer failed to apply the event again.' },
  CONSUMER_NOT_RUNNING: { status: 422, description: "The event's consumer no longer runs." },
  DEAD_LETTER_UNDECODABLE: { status: 422, description: 'The parked event cannot be decoded.' },
  BILLING_ACCOUNT_NOT_FOUND: { status: 404, description: 'The caller has no billing account yet.' },
  BILLING_PLAN_NOT_ASSIGNED: { status: 404, description: 'The tenant is on no plan yet.' },
  INSUFFICIENT_BALANCE: {
    status: 422,
    description:
      'The prepaid balance (plus credit limit) does not cover the send; a top-up unblocks it at once.',
  },
  BILLING_NOT_READY: { status: 422, description: 'Billing has no account or plan for the tenant yet.' },
  THRESHOLD_INVALID: { status: 400, description: 'The low-balance threshold is negative.' },
  WALLET_INVALID: { status: 400, description: 'A wallet setting is invalid; `errors` names the field.' },
  USAGE_QUERY_INVALID: { status: 400, description: 'The usage query is invalid; `errors` names the field.' },
  PLAN_INVALID: { status: 400, description: 'The plan is invalid; `errors` names the field.' },
  PLAN_PRICES_INVALID: { status: 400, description: 'A price is invalid; `errors` names each field.' },
  EFFECTIVE_FROM_IN_PAST: {
    status: 400,
    description: 'A price version must start now or later, after the latest version.',
  },
  CURRENCY_INVALID: { status: 400, description: 'The currency is not an ISO 4217 code with a minor unit.' },
  PLAN_EXISTS: { status: 409, description: 'A plan with this id exists.' },
  PLAN_NOT_FOUND: {
    status: 404,
    description: 'No plan has this id (for an account plan: none of your own tenant has this id).',
  },
  PERIOD_INVALID: {
    status: 400,
    description: 'The period is not a month (YYYY-MM), or "current" where allowed.',
  },
  PERIOD_CLOSED: {
    status: 422,
    description: 'The period is closed: its invoices are issued; list them with GET /v1/invoices.',
  },
  INVOICE_NOT_FOUND: { status: 404, description: 'No invoice of the tenant has this id.' },
  INVOICE_ID_INVALID: { status: 400, description: 'The invoice id is not a UUID.' },
  INVOICE_NOT_VOIDABLE: {
    status: 422,
    description:
      'Only an issued invoice on which nothing was paid can be voided; correct it with a credit note.',
  },
  INVOICE_NOT_CREDITABLE: { status: 422, description: 'Only an issued or paid invoice can be credited.' },
  INVOICE_VOID: { status: 409, description: 'The invoice is void: nothing can be paid on it.' },
  INVOICE_ALREADY_PAID: { status: 409, description: 'The invoice is paid already: nothing is left to pay.' },
  INVOICE_PAYMENT_IN_PROGRESS: {
    status: 409,
    description:
      'A payment of the invoice is pending or waiting for the cardholder; wait for it (`GET /v1/invoices/{id}/payments`).',
  },
  CREDIT_AMOUNT_INVALID: {
    status: 422,
    description: "The credit must be positive and at most the invoice's subtotal.",
  },
  BILLING_PROFILE_INVALID: {
    status: 400,
    description: 'The billing profile is invalid; `errors` names the field.',
  },
  PLAN_CURRENCY_MISMATCH: {
    status: 422,
    description: "The plan's currency is not the tenant's billing account's.",
  },

  // Privacy.
  SUBJECT_INVALID: { status: 400, description: 'The subject names no one, or more than one way.' },
  PRIVACY_REQUEST_INVALID: { status: 400, description: 'The request is invalid; `errors` names the field.' },
  CHANGES_INVALID: { status: 400, description: 'A rectification change is invalid; `errors` names it.' },
  CONSENT_INVALID: { status: 400, description: 'The consent is invalid; `errors` names the field.' },
  HOLD_INVALID: { status: 400, description: 'The legal hold is invalid; `errors` names the field.' },
  RETENTION_INVALID: { status: 400, description: 'The retention period is invalid.' },
  BREACH_INVALID: { status: 400, description: 'The breach record is invalid; `errors` names the field.' },
  AUDIT_ENTRY_ID_INVALID: { status: 400, description: 'The audit entry id is invalid.' },
  EXTENSION_REASON_REQUIRED: { status: 400, description: 'Extending a deadline needs a reason.' },
  CODE_INVALID: {
    status: 400,
    description: 'The verification code is wrong; each guess spends one of 5 attempts.',
  },
  NOT_THE_REQUESTER: { status: 403, description: 'Only the one who filed the request may do this.' },
  VERIFICATION_LOCKED: {
    status: 403,
    description: 'Five wrong codes were given for this request: submit it again.',
  },
  CONSENT_NOT_OWN: {
    status: 403,
    description: 'Without `privacy:write`, the subject must be the caller; nothing was written.',
  },
  PRIVACY_REQUEST_LIMIT: {
    status: 429,
    description:
      'Without `privacy:write`: this requester filed, or this subject was named in, as many requests today (UTC) as allowed; nothing was written or sent.',
  },
  VERIFICATION_LIMIT: {
    status: 429,
    description:
      'As many code guesses today (UTC) for this subject or by this requester as allowed, across every request.',
  },
  PRIVACY_REQUEST_NOT_FOUND: { status: 404, description: 'No privacy request of your tenant has this id.' },
  LEGAL_HOLD_NOT_FOUND: { status: 404, description: 'No legal hold of your tenant has this id.' },
  BREACH_NOT_FOUND: { status: 404, description: 'No breach of your tenant has this id.' },
  ARCHIVE_LINK_INVALID: { status: 404, description: 'The archive link is unknown, expired or used up.' },
  NOT_AWAITING_VERIFICATION: { status: 422, description: 'The request is not waiting for a code.' },
  NO_VERIFICATION_CHANNEL: { status: 422, description: 'The subject has no e-mail or phone to verify by.' },
  CODE_EXPIRED: {
    status: 422,
    description: 'The verification code expired (it lasts minutes): submit again.',
  },
  REQUEST_CLOSED: { status: 422, description: 'The request is already closed.' },
  REQUEST_NOT_CANCELLABLE: { status: 422, description: 'The request can no longer be cancelled.' },
  PROCESSING_RESTRICTED: {
    status: 422,
    description: "The subject's data is restricted from this processing.",
  },
  RECIPIENT_OPTED_OUT: {
    status: 422,
    description:
      'The recipient opted out of messages from this number (they sent STOP); nothing was sent. They opt back in by sending START.',
  },
  RESUMED_BEFORE_PAUSED: { status: 400, description: 'The clock cannot resume before it was paused.' },
  ALREADY_PAUSED: { status: 422, description: 'The deadline clock is already paused.' },
  NOT_PAUSED: { status: 422, description: 'The deadline clock is not paused.' },
  ALREADY_EXTENDED: { status: 422, description: 'The deadline was already extended once.' },
  EXTENSION_NOT_ALLOWED: { status: 422, description: 'The jurisdiction allows no extension.' },
  EXTENSION_TOO_LATE: { status: 422, description: 'The deadline has passed; it can no longer be extended.' },
  ARCHIVE_NOT_READY: { status: 422, description: 'The archive is not ready yet.' },
  SEALED_ARCHIVE_UNREADABLE: { status: 422, description: 'The archive can no longer be opened.' },
  BREACH_ALREADY_NOTIFIED: { status: 422, description: 'The breach was already marked notified.' },
  PRIVACY_ACTION_UNKNOWN: { status: 422, description: 'The action does not apply to this kind of request.' },
  MAILBOX_DISABLED: { status: 422, description: 'The dev mailbox is off (it exists only in development).' },
  // numbering
  NUMBERING_INVALID_REQUEST: {
    status: 400,
    description: 'A numbering field is invalid; `errors` names each.',
  },
  COUNTRY_UNKNOWN: {
    status: 400,
    description: 'No numbers are offered in this country (ISO 3166-1 alpha-2).',
  },
  PATTERN_MALFORMED: { status: 400, description: '`contains` must be digits and `*` wildcards.' },
  NUMBER_NOT_FOUND: { status: 404, description: 'No such number in this tenant.' },
  NUMBER_ORDER_NOT_FOUND: { status: 404, description: 'No such number order in this tenant.' },
  PORT_IN_NOT_FOUND: { status: 404, description: 'No such port-in in this tenant.' },
  NUMBER_NOT_AVAILABLE: {
    status: 409,
    description: 'The number is no longer available (another buyer took it, or it is held); search again.',
  },
  NUMBER_ALREADY_OWNED: { status: 409, description: 'The tenant already owns this number.' },
  NUMBER_IN_QUARANTINE: {
    status: 409,
    description: 'The number was released recently and is in quarantine.',
  },
  NUMBER_NOT_SEARCHED: {
    status: 422,
    description: 'Only a number found by a search of this tenant, or held by its reservation, can be bought.',
  },
  RESERVATION_EXPIRED: { status: 422, description: 'The reservation has expired; reserve or buy again.' },
  NUMBER_NOT_ACTIVE: { status: 422, description: 'The number is not active (released or in quarantine).' },
  CAPABILITY_MISSING: { status: 422, description: 'A setting needs a capability the number lacks.' },
  CURRENCY_NOT_SUPPORTED: { status: 422, description: 'No exchange rate is configured into this currency.' },
  PORT_IN_NOT_SUBMITTABLE: {
    status: 422,
    description: 'The port-in ended (cancelled, exception or ported); create a new one.',
  },
  PORT_IN_NOT_CANCELLABLE: { status: 422, description: 'The port-in is too far along to be cancelled.' },
  SUPPLIER_REJECTED: { status: 422, description: 'The number supplier refused the request.' },
  SUPPLIER_UNAVAILABLE: {
    status: 503,
    description: 'The number supplier is unavailable; retry after `Retry-After` seconds.',
  },
  // messaging: webhooks out
  WEBHOOK_REQUEST_INVALID: {
    status: 400,
    description: 'A webhook field is invalid (a status filter, an overlap); `errors` names each.',
  },
  WEBHOOK_SECRET_NOT_FOUND: { status: 404, description: 'No such webhook secret in this tenant.' },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, description: 'No such webhook delivery in this tenant.' },
  WEBHOOK_SECRET_LIMIT: {
    status: 422,
    description: 'Five secrets already sign; retire one and let it expire before creating another.',
  },
  WEBHOOK_SECRET_LAST: {
    status: 422,
    description: 'The only current secret cannot be retired; create its successor first.',
  },
  WEBHOOK_DELIVERY_NOT_RETRYABLE: {
    status: 422,
    description: 'Only a failed or disabled delivery can be retried; this one was delivered.',
  },
  // messaging (send path)
  MESSAGING_INVALID_REQUEST: {
    status: 400,
    description:
      'A message field (from, to, body, mediaUrls, statusCallback, validityPeriod) or messaging setting is invalid; `errors` names each.',
  },
  SENDER_NOT_FOUND: { status: 404, description: '`from` is not an active number of this tenant.' },
  SENDER_CAPABILITY_MISSING: {
    status: 422,
    description: '`from` lacks the capability the message needs (sms, or mms when mediaUrls are given).',
  },
  MESSAGE_NOT_FOUND: { status: 404, description: 'No such message in this tenant.' },
  // messaging (call detail records)
  CALL_NOT_FOUND: { status: 404, description: 'No such call record in this tenant.' },
  // billing (payments)
  PAYMENT_TOKEN_INVALID: {
    status: 400,
    description: '`token` is not shaped like a processor token (letters, digits, `_`, `-`).',
  },
  PAYMENT_TOKEN_UNKNOWN: {
    status: 400,
    description: 'The payment processor knows no such token; tokenise the card again.',
  },
  PAYMENT_METHOD_EXPIRED: { status: 400, description: 'The tokenised card has expired.' },
  PAYMENT_METHOD_UNUSABLE: {
    status: 400,
    description: 'The payment processor no longer knows this payment method; add the card again.',
  },
  AMOUNT_INVALID: {
    status: 400,
    description: 'The amount is not a positive whole number of minor units within the limit.',
  },
  AMOUNT_CURRENCY_MISMATCH: {
    status: 400,
    description: "The amount's currency is not the billing account's (or the top-up's).",
  },
  PAYMENT_METHOD_NOT_FOUND: { status: 404, description: 'No such payment method in this tenant.' },
  TOP_UP_NOT_FOUND: { status: 404, description: 'No such top-up in this tenant.' },
  REFUND_NOT_FOUND: { status: 404, description: 'No such refund in this tenant.' },
  TIME_RANGE_INVALID: { status: 400, description: '`createdAfter` must be before `createdBefore`.' },
  PAYMENTS_NOT_CONFIGURED: {
    status: 422,
    description: 'This installation has no payment processor configured.',
  },
  PAYMENT_METHOD_REQUIRED: {
    status: 422,
    description: 'The tenant has no default payment method; add one with `POST /v1/payment-methods`.',
  },
  TOP_UP_NOT_REFUNDABLE: { status: 422, description: 'Only a succeeded top-up can be refunded.' },
  REFUND_EXCEEDS_TOP_UP: {
    status: 422,
    description: 'The refund is more than what is left to refund of the top-up.',
  },
  REFUND_EXCEEDS_BALANCE: {
    status: 422,
    description: 'The wallet holds less than the refund: the rest of the top-up was spent.',
  },
  REFUND_REFUSED: { status: 422, description: 'The payment processor refused the refund.' },
  PAYMENT_PROCESSOR_UNAVAILABLE: {
    status: 503,
    description:
      'The payment processor is unavailable or throttling; retry with the same `Idempotency-Key` after `Retry-After` seconds (nothing is charged twice).',
  },
});

export type ProblemCode = keyof typeof problemCatalogue;

/** The statuses a code comes with. */
export function statusesOf(code: ProblemCode): number[] {
  const definition: ProblemDefinition = problemCatalogue[code];
  return definition.alsoStatus ? [definition.status, definition.alsoStatus] : [definition.status];
}

/** Every code a failed credential check answers with (401), for any authenticated route. */
export const credentialCodes: ProblemCode[] = [
  'AUTHENTICATION_REQUIRED',
  'CREDENTIAL_INVALID',
  'API_KEY_INVALID',
  'API_KEY_REVOKED',
  'API_KEY_EXPIRED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_ISSUER_UNTRUSTED',
  'TOKEN_AUDIENCE_INVALID',
  'TOKEN_TENANT_MISSING',
  'TOKEN_TENANT_MISMATCH',
  'TOKEN_ACCOUNT_CLOSED',
  'TENANT_INACTIVE',
];
