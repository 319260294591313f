// Shared by the invoice and privacy integration tests: a EUR plan with German VAT, accounts on it, usage
// rated as the consumers rate it, and the PDF read back over gRPC.
import { call, createClient, withTenant, type Money } from '@parley/kit';
import { billingInvoicesV1, billingV1 } from '@parley/proto';
import { as, asPlatform } from '../../../../tests/support/callers';
import type { RunningService } from '../../../../tests/support/service';
import type { BillingApp } from '../../src/app';
import { billingAccounts } from '../../src/db/schema';
import { UsageRepository } from '../../src/db/usage';
import type { RatePlan } from '../../src/domain/plans';
import { rateOutboundMessage } from '../../src/domain/rating';

export const PLAN_ID = 'eu-invoices';

const prices = (): billingV1.PlanPrices => ({
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
  /** Rates an SMS to Germany (EUR 0.075 a segment) the way the consumer does, with its parties. */
  rate(tenantId: string, at: string, segments: number, accountId?: string, partyTo?: string): Promise<Money>;
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
  plans.close();
  const plan: RatePlan = {
    planId: PLAN_ID,
    version: 1,
    currency: 'EUR',
    effectiveFrom: created.plan!.versions[0]!.effectiveFrom!,
    prices: prices(),
  };
  const usage = new UsageRepository();
  let messages = 0;
  return {
    client,
    close: () => client.close(),
    rate: async (tenantId, at, segments, accountId = '', partyTo) => {
      messages += 1;
      const line = rateOutboundMessage(plan, { kind: 'sms', segments, destinationCountry: 'DE' });
      await withTenant(billing.app.runtime.db, tenantId, (tx) =>
        usage.record(
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
          plan,
          line,
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
