// What other packages may use from the payment simulator: starting it (in-process or as its own process).
export { startPaymentSim, type PaymentSim } from './server';
export { loadPaymentSimConfig, type PaymentSimConfig } from './config';
export { MAGIC_CARDS, type DeclineCode } from './cards';
export type { Charge, Refund, Token } from './processor';
export type { WebhookEvent } from './webhooks';
export { spawnPaymentSim, type SpawnedPaymentSim } from './spawn';
