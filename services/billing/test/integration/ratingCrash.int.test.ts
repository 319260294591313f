// Rating exactly once: N messages of mixed encodings rated to exactly their segments, with the billing
// process SIGKILLed and restarted part-way, and then every event delivered again to an emptied inbox; the
// messages of a sub-account the tenant resells are rated once more at the tenant's price, also exactly once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import { call, connectNats, createClient, withTenant } from '@parley/kit';
import { billingV1, identityV1 } from '@parley/proto';
import { as, asPlatform } from '../../../../tests/support/callers';
import { periodOf } from '../../src/domain/periods';
import { sql } from 'drizzle-orm';
import { freePort } from '../../../../tools/dev/src/ports';
import { eventually } from '../../../../tests/support/grpc';
import { testInfra, uniquePrefix } from '../../../../tests/support/infra';
import { ServiceProcesses } from '../../../../tests/support/serviceProcess';
import { analyseSmsBody } from '../../../messaging/src/domain/segments';
import { messageSent, startProducer, type Producer } from './producers';

const TENANT = 'rated';
const N = 240;
const PRICE = { US: 79n, GB: 400n }; // the seeded standard plan: 0.0079 and 0.04 per segment, in 1/10,000
const RESALE = { US: 100n, GB: 500n }; // the tenant's account plan: 0.01 and 0.05 per segment
const CUSTOMER = 'cust-resold';

/** Bodies of both encodings and one to four segments. */
function body(index: number): string {
  const gsm = 'Your code is 1234. ';
  const ucs = 'Привет, мир! ';
  const text = index % 2 === 0 ? gsm : ucs;
  return text.repeat(1 + (index % 13) * 2);
}

describe('billing: rating exactly once across a SIGKILL and a full redelivery', () => {
  const natsPrefix = uniquePrefix('billing-rating');
  const billing = new ServiceProcesses('billing', natsPrefix);
  let identity: Producer;
  let messaging: Producer;
  let port = 0;
  const expected = { segments: 0, amount: 0n, byEncoding: new Set<string>() };
  const resale = { lines: 0, segments: 0, amount: 0n };

  beforeAll(async () => {
    await billing.open();
    port = await freePort();
    identity = await startProducer('identity', natsPrefix);
    messaging = await startProducer('messaging', natsPrefix);
  });

  afterAll(async () => {
    await billing.close();
    await messaging?.stop();
    await identity?.stop();
  });

  /** The lines the platform sold the tenant, or the ones the tenant sold its resold sub-account. */
  const rated = (seller: 'platform' | 'tenant' = 'platform') =>
    withTenant(billing.db, TENANT, async (tx) => {
      const result = await tx.execute<{ lines: number; segments: string; amount: string }>(sql`
        select count(*)::int as lines, coalesce(sum(quantity), 0)::bigint::text as segments,
               coalesce(sum(amount_minor), 0)::text as amount
          from usage_records where category = 'sms_outbound' and seller = ${seller}`);
      return result.rows[0]!;
    });
  const resold = () => rated('tenant');
  const expectedResale = () => ({
    lines: resale.lines,
    segments: String(resale.segments),
    amount: String(resale.amount),
  });

  const inboxCount = async () =>
    (
      await billing.db.execute<{ n: number }>(
        sql`select count(*)::int as n from kit_inbox where consumer = 'billing-on-message-sent'`,
      )
    ).rows[0]!.n;

  it('rates the sum of the segments once, whatever happens to the consumer', async () => {
    let first = await billing.start(port);
    await identity.publish(
      (tx, runtime) =>
        runtime.outbox
          .enqueue(tx, {
            type: 'identity.tenant.created',
            tenantId: TENANT,
            payloadType: 'parley.identity.v1.TenantCreated',
            messageType: identityV1.TenantCreated,
            payload: {
              tenant: {
                id: TENANT,
                name: 'Rated',
                tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
                jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
                status: identityV1.TenantStatus.TENANT_STATUS_ACTIVE,
                createdAt: new Date(),
                minimumAge: 16,
                realm: TENANT,
                twilioAccountSid: '',
              },
            },
          })
          .then(() => undefined),
      TENANT,
    );

    // The tenant resells one of its accounts at its own prices (once billing has opened its account).
    const tenantClient = createClient(billingV1.BillingServiceClient, `127.0.0.1:${port}`, {
      serviceName: 'parley.billing.v1.BillingService',
    });
    try {
      const standard = await call(tenantClient, tenantClient.listPlans, {}, await asPlatform());
      const basePrices = standard.plans.find((plan) => plan.id === 'standard')!.versions[0]!.prices!;
      await eventually('the account plan to be accepted', async () =>
        call(
          tenantClient,
          tenantClient.createAccountPlan,
          {
            id: 'resale',
            name: 'Resale',
            currency: 'USD',
            prices: {
              ...basePrices,
              smsOutboundPerSegment: { defaultPrice: '0.01', byCountry: { GB: '0.05' } },
            },
          },
          await as(TENANT),
        ),
      );
      await call(
        tenantClient,
        tenantClient.setAccountPlan,
        { accountId: CUSTOMER, planId: 'resale' },
        await as(TENANT),
      );
    } finally {
      tenantClient.close();
    }

    for (let batch = 0; batch < N; batch += 40) {
      await messaging.publish(async (tx, runtime) => {
        for (let index = batch; index < batch + 40; index += 1) {
          const { encoding, segments } = analyseSmsBody(body(index));
          const country = index % 3 === 0 ? 'GB' : 'US';
          expected.segments += segments;
          // Each line rounded once, half away from zero, from 1/10,000 to cents.
          const exact = PRICE[country] * BigInt(segments);
          expected.amount += (exact + 50n) / 100n;
          expected.byEncoding.add(encoding);
          const accountId = index % 4 === 1 ? CUSTOMER : '';
          if (accountId) {
            resale.lines += 1;
            resale.segments += segments;
            resale.amount += (RESALE[country] * BigInt(segments) + 50n) / 100n;
          }
          await runtime.outbox.enqueue(
            tx,
            messageSent(TENANT, {
              messageId: `m-${index}`,
              segments,
              encoding,
              destinationCountry: country,
              accountId,
            }),
          );
        }
      }, TENANT);
    }
    expect([...expected.byEncoding].sort()).toEqual(['GSM-7', 'UCS-2']);

    // Killed part-way: some rated, not all.
    await eventually('some usage to be rated', async () => {
      if ((await rated()).lines === 0) throw new Error('none yet');
    });
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect((await rated()).lines).toBeLessThan(N);

    first = await billing.start(port);
    const done = await eventually(
      'every message to be rated',
      async () => {
        const now = await rated();
        if (now.lines < N) throw new Error(`${now.lines} of ${N}`);
        return now;
      },
      60_000,
    );
    expect(done).toEqual({ lines: N, segments: String(expected.segments), amount: String(expected.amount) });
    expect(resale.lines).toBe(N / 4);
    expect(await resold()).toEqual(expectedResale());

    // Everything delivered again to an inbox that forgot it (a replay from the stream's start): the unique
    // source event id still rates nothing twice.
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    await billing.db.execute(sql`delete from kit_inbox where consumer = 'billing-on-message-sent'`);
    const nats = await connectNats({ url: testInfra().natsUrl, name: 'billing-rating-test' });
    try {
      const jsm = await jetstreamManager(nats);
      await jsm.consumers.delete(
        messaging.runtime.naming.stream('messaging').name,
        'billing-on-message-sent',
      );
    } finally {
      await nats.close();
    }
    await billing.start(port);
    await eventually(
      'every event to be delivered and handled again',
      async () => {
        const seen = await inboxCount();
        if (seen < N) throw new Error(`${seen} of ${N}`);
      },
      60_000,
    );
    expect(await rated()).toEqual({
      lines: N,
      segments: String(expected.segments),
      amount: String(expected.amount),
    });
    // ... nor twice at the tenant's price.
    expect(await resold()).toEqual(expectedResale());

    // The reconciliation: every event the inbox handled has its line.
    const client = createClient(billingV1.BillingServiceClient, `127.0.0.1:${port}`, {
      serviceName: 'parley.billing.v1.BillingService',
    });
    try {
      const report = await call(
        client,
        client.getReconciliation,
        { period: periodOf(new Date()) },
        await asPlatform(),
      );
      expect(report.lines.find((line) => line.eventType === 'messaging.message.sent')).toEqual({
        eventType: 'messaging.message.sent',
        seen: String(N),
        parked: '0',
        rated: String(N),
        difference: '0',
      });
      expect(report.lines.every((line) => line.difference === '0')).toBe(true);
    } finally {
      client.close();
    }
  }, 240_000);
});
