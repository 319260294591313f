// Shared by the invoice and privacy integration tests: a EUR plan with German VAT, accounts on it, usage
// rated as the consumers rate it, and the PDF read back over gRPC.
import { expect } from '@jest/globals';
import { call, createClient, withTenant, type Money } from '@parley/kit';
import { billingInvoicesV1, billingV1 } from '@parley/proto';
import { as, asPlatform } from '../../../../tests/support/callers';
import type { RunningService } from '../../../../tests/support/service';
import type { BillingApp } from '../../src/app';
import { AccountPlanRepository } from '../../src/db/accountPlans';
import { AccountRepository } from '../../src/db/accounts';
import { PlanRepository } from '../../src/db/plans';
import { billingAccounts } from '../../src/db/schema';
import { UsageRepository } from '../../src/db/usage';
import { rateOutboundMessage } from '../../src/domain/rating';
import { rateTwice } from '../../src/events/consumers/rating';

export const PLAN_ID = 'eu-invoices';

export const prices = (): billingV1.PlanPrices => ({
  smsOutboundPerSegment: { defaultPrice: '0.0079', byCountry: { DE: '0.075' } },
  mmsOutboundPerMessage: { defaultPrice: '0.02', byCountry: {} },
  inboundMessage: '0.0079',
  numbers: ['local', 'mobile', 'toll_free'].map((numberType) => ({
    numberType,
    country: '*',
    setup: '0',
    monthly: '1.15',
  })),
  callInboundPerMinute: '0.0085',
  callOutboundPerMinute: '0.014',
  callRounding: billingV1.CallRounding.CALL_ROUNDING_PER_STARTED_MINUTE,
  taxPercent: { defaultPrice: '0', byCountry: { DE: '19' } },
  proRataFirstMonth: true,
});

export interface Invoicing {
  /**
   * Rates an SMS to Germany (EUR 0.075 a segment) the way the consumer does, with its parties: at the
   * tenant's plan, and at the account plan of a resold sub-account too. Answers the platform's amount.
   */
  rate(tenantId: string, at: string, segments: number, accountId?: string, partyTo?: string): Promise<Money>;
  /** Creates an account plan of the tenant unless it has it (EUR, through the RPC), and resells the accounts on it. */
  resell(
    tenantId: string,
    planId: string,
    prices: billingV1.PlanPrices,
    accountIds: readonly string[],
  ): Promise<billingV1.Plan>;
  /** The BillingService client (plans, account plans). */
  billingClient: billingV1.BillingServiceClient;
  openAccount(tenantId: string): Promise<void>;
  pdfOf(tenantId: string, id: string): Promise<Buffer>;
  client: billingInvoicesV1.InvoicesServiceClient;
  close(): void;
}

/** Creates the EUR plan on the running billing service and answers helpers bound to it. */
export async function invoicing(billing: RunningService<BillingApp>): Promise<Invoicing> {
  const client = createClient(billingInvoicesV1.InvoicesServiceClient, billing.address, {
    serviceName: 'parley.billing.v1.InvoicesService',
  });
  const plans = createClient(billingV1.BillingServiceClient, billing.address, {
    serviceName: 'parley.billing.v1.BillingService',
  });
  const created = await call(
    plans,
    plans.createPlan,
    { id: PLAN_ID, name: 'EU', currency: 'EUR', isDefault: false, prices: prices() },
    await asPlatform(),
  );
  expect(created.plan?.versions).toHaveLength(1);
  const db = billing.app.runtime.db;
  const platformPlans = new PlanRepository(db);
  const rating = {
    plans: platformPlans,
    accounts: new AccountRepository(db, platformPlans, billing.app.wallet),
    usage: new UsageRepository(),
    accountPlans: new AccountPlanRepository(db),
  };
  let messages = 0;
  return {
    client,
    billingClient: plans,
    close: () => {
      client.close();
      plans.close();
    },
    resell: async (tenantId, planId, planPrices, accountIds) => {
      const { plans: existing } = await call(plans, plans.listAccountPlans, {}, await as(tenantId));
      const plan =
        existing.find((known) => known.id === planId) ??
        (
          await call(
            plans,
            plans.createAccountPlan,
            { id: planId, name: `Resale ${planId}`, currency: 'EUR', prices: planPrices },
            await as(tenantId),
          )
        ).plan;
      for (const accountId of accountIds)
        await call(plans, plans.setAccountPlan, { accountId, planId }, await as(tenantId));
      return plan!;
    },
    rate: async (tenantId, at, segments, accountId = '', partyTo) => {
      messages += 1;
      const { line } = await withTenant(db, tenantId, (tx) =>
        rateTwice(
          rating,
          tx,
          {
            tenantId,
            accountId,
            reference: `m-${messages}`,
            occurredAt: new Date(at),
            sourceType: 'messaging.message.sent',
            sourceId: `event-${tenantId}-${messages}`,
            partyFrom: '+4930123456',
            partyTo: partyTo ?? `+49151${String(messages).padStart(7, '0')}`,
          },
          (plan) => rateOutboundMessage(plan, { kind: 'sms', segments, destinationCountry: 'DE' }),
        ),
      );
      return line.amount;
    },
    openAccount: async (tenantId) => {
      await withTenant(billing.app.runtime.db, tenantId, (tx) =>
        tx.insert(billingAccounts).values({
          tenantId,
          currency: 'EUR',
          balanceMinor: 0n,
          planId: PLAN_ID,
          billingMode: 'postpaid',
        }),
      );
    },
    pdfOf: async (tenantId, id) => {
      const stream = client.getInvoicePdf({ id }, (await as(tenantId)).metadata);
      return new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        stream.on('data', (item: billingInvoicesV1.GetInvoicePdfResponse) =>
          chunks.push(Buffer.from(item.chunk)),
        );
        stream.on('error', reject);
        stream.on('end', () => resolve(Buffer.concat(chunks)));
      });
    },
  };
}
