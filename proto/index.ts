// The one import services use for contracts. Generated code lives in gen/ts (never edited by hand).
export * as commonV1 from './gen/ts/parley/common/v1/money';
export * as callbacksV1 from './gen/ts/parley/common/v1/callbacks';
export * as eventsV1 from './gen/ts/parley/events/v1/envelope';
export * as identityV1 from './gen/ts/parley/identity/v1/identity';
export * as numberingV1 from './gen/ts/parley/numbering/v1/numbering';
export * as messagingV1 from './gen/ts/parley/messaging/v1/messaging';
export * as billingV1 from './gen/ts/parley/billing/v1/billing';
export * as billingPaymentsV1 from './gen/ts/parley/billing/v1/payments';
export * as billingInvoicesV1 from './gen/ts/parley/billing/v1/invoices';
export * as privacyV1 from './gen/ts/parley/privacy/v1/privacy';
export * as participantV1 from './gen/ts/parley/privacy/v1/participant';
export * as kitV1 from './gen/ts/parley/kit/v1/dead_letters';

/** The .proto files of every Parley package, relative to the proto directory (for gRPC reflection). */
export const protoFiles = {
  common: 'parley/common/v1/money.proto',
  callbacks: 'parley/common/v1/callbacks.proto',
  events: 'parley/events/v1/envelope.proto',
  identity: 'parley/identity/v1/identity.proto',
  numbering: 'parley/numbering/v1/numbering.proto',
  messaging: 'parley/messaging/v1/messaging.proto',
  billing: 'parley/billing/v1/billing.proto',
  billingPayments: 'parley/billing/v1/payments.proto',
  billingInvoices: 'parley/billing/v1/invoices.proto',
  privacy: 'parley/privacy/v1/privacy.proto',
  participant: 'parley/privacy/v1/participant.proto',
  deadLetters: 'parley/kit/v1/dead_letters.proto',
} as const;
