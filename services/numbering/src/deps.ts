import type { Database, Jobs, Outbox, Transaction } from '@parley/kit';
import type { NumberRepository } from './db/numbers';
import type { OrderRepository } from './db/orders';
import type { PortInRepository } from './db/portIns';
import type { SettingsRepository } from './db/settings';
import type { ExchangeRates } from './domain/numbers';
import type { ResolveCache } from './domain/resolveCache';
import type { NumberSupplier, SupplierRouting } from './domain/supplier';

/** What numbering's handlers and jobs are made from (built once in app.ts). */
export interface NumberingDeps {
  db: Database;
  /** A tenant transaction that wakes the outbox relay after it commits. */
  withTenant<R>(tenantId: string, work: (tx: Transaction) => Promise<R>): Promise<R>;
  outbox: Outbox;
  jobs: Jobs;
  numbers: NumberRepository;
  orders: OrderRepository;
  portIns: PortInRepository;
  settings: SettingsRepository;
  supplier: NumberSupplier;
  /** Where a number's traffic goes once it is Parley's (told to the supplier on activation). */
  routing: SupplierRouting;
  rates: ExchangeRates;
  cache: ResolveCache;
}

export const QUEUES = {
  /** Places a number order with the supplier and follows it to completed or failed. */
  followOrder: 'numbering-follow-order',
  /** Submits a port-in and follows it to ported, exception or cancelled. */
  followPortIn: 'numbering-follow-port-in',
  /** Gives a released number back to the supplier. */
  releaseNumber: 'numbering-release-number',
  /** Marks a number released once its quarantine has ended. */
  endQuarantine: 'numbering-end-quarantine',
} as const;

/**
 * Retries of a job that calls the supplier: while it is down, about a day and a half with backoff capped at
 * five minutes, then the job fails (and its order or port-in stays pending for an operator to see).
 */
export const SUPPLIER_RETRIES = {
  retryLimit: 300,
  retryDelaySeconds: 2,
  retryBackoff: true,
  retryDelayMaxSeconds: 300,
};

/** How long before looking at a pending supplier order or port-in again. */
export const FOLLOW_SECONDS = 1;
