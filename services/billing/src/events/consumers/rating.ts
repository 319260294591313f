import {
  PermanentEventError,
  type EventHandler,
  type Logger,
  type MessageType,
  type ReceivedEvent,
  type Transaction,
} from '@parley/kit';
import type { AccountPlanRepository } from '../../db/accountPlans';
import type { AccountRepository } from '../../db/accounts';
import type { PlanRepository } from '../../db/plans';
import type { UsageRepository, UsageSource } from '../../db/usage';
import { versionAt, type RatePlan } from '../../domain/plans';
import type { RatedLine } from '../../domain/rating';

export interface RatingDeps {
  accounts: AccountRepository;
  plans: PlanRepository;
  usage: UsageRepository;
  accountPlans: AccountPlanRepository;
}

/**
 * Rates one thing twice over, in the caller's transaction: at the tenant's platform plan (what the tenant
 * owes Parley: always), and, when the thing is a sub-account's and the tenant resells that sub-account on
 * one of its account plans, at the tenant's price (what the sub-account owes the tenant). Each line is
 * stored once per seller and source id, so a redelivery, a restart or a replay rates nothing twice at
 * either level. Answers the platform's line and whether it was stored.
 */
export async function rateTwice(
  deps: RatingDeps,
  tx: Transaction,
  source: UsageSource,
  rate: (plan: RatePlan) => RatedLine,
): Promise<{ plan: RatePlan; line: RatedLine; stored: boolean; resold: boolean }> {
  const plan = await planAt(deps, tx, source.tenantId, source.occurredAt);
  const line = rate(plan);
  const stored = await deps.usage.record(tx, source, plan, line);
  const resale =
    source.accountId === ''
      ? undefined
      : await deps.accountPlans.planAt(tx, source.tenantId, source.accountId, source.occurredAt);
  const resold = resale ? await deps.usage.record(tx, source, resale, rate(resale), 'tenant') : false;
  return { plan, line, stored, resold };
}

/**
 * The plan version in force for the tenant at `at`. No account yet (identity's tenant.created not applied
 * yet: another stream, no order between them) is transient, so the event comes back later; an account on
 * no plan (no default plan in its currency) is parked with BILLING_PLAN_MISSING, to be replayed once an
 * operator has assigned one.
 */
export async function planAt(
  deps: RatingDeps,
  tx: Transaction,
  tenantId: string,
  at: Date,
): Promise<RatePlan> {
  const account = await deps.accounts.inTransaction(tx, tenantId);
  if (!account) throw new Error(`tenant ${tenantId} has no billing account yet`);
  if (!account.planId) {
    throw new PermanentEventError(
      'BILLING_PLAN_MISSING',
      `tenant ${tenantId} is on no plan (${account.currency})`,
    );
  }
  const found = await deps.plans.find(account.planId, tx);
  const version = found && versionAt(found.versions, at);
  if (!version)
    throw new PermanentEventError('BILLING_PLAN_MISSING', `plan ${account.planId} has no version`);
  return version;
}

/**
 * A consumer that rates each event into usage lines, in the inbox's transaction: the inbox records the
 * event id and the unique source id stops a line from being stored twice even if the inbox row were gone.
 */
export function ratingConsumer<T>(
  deps: RatingDeps,
  definition: {
    durable: string;
    eventType: string;
    messageType: MessageType<T>;
    /** What the event is about and when. */
    source(event: ReceivedEvent<T>): Omit<UsageSource, 'tenantId' | 'sourceType' | 'sourceId'>;
    /** The line at a plan: called with the tenant's platform plan, and with the sub-account's account plan. */
    rate(plan: RatePlan, event: ReceivedEvent<T>): RatedLine;
    /** Extra effects in the same transaction (number inventory). */
    also?(tx: Transaction, event: ReceivedEvent<T>): Promise<void>;
  },
): EventHandler<T> {
  return {
    durable: definition.durable,
    eventType: definition.eventType,
    messageType: definition.messageType,
    async handle(tx, event, log: Logger) {
      const tenantId = event.envelope.tenantId;
      const source = definition.source(event);
      const { line, stored, resold } = await rateTwice(
        deps,
        tx,
        { ...source, tenantId, sourceType: definition.eventType, sourceId: event.envelope.eventId },
        (plan) => definition.rate(plan, event),
      );
      await definition.also?.(tx, event);
      log.debug({ category: line.category, stored, resold }, 'usage rated');
    },
  };
}

/** The time an event's payload says, else when it was published. */
export function whenOf(at: Date | undefined, envelope: { occurredAt?: Date | undefined }): Date {
  return at ?? envelope.occurredAt ?? new Date();
}
