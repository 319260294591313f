import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { call, createClient, Money, withTenant } from '@parley/kit';
import { randomUUID } from 'node:crypto';
import { pendingFor, publishedEvents, redeliver } from '../../../../tests/support/streams';
import { as, asPlatform } from '../../../../tests/support/callers';
import { billingV1, eventsV1, identityV1, messagingV1, numberingV1 } from '@parley/proto';
import { startService, type RunningService } from '../../../../tests/support/service';
import { uniquePrefix } from '../../../../tests/support/infra';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { expectEveryTenantTableWalled, expectTenantWall } from '../../../../tests/support/rls';
import { buildApp, type BillingApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { startIdentity, type IdentityApp } from '../../../identity/test/integration/identityForTests';
import { UsageRepository } from '../../src/db/usage';
import { MONTHLY_RENT_QUEUE } from '../../src/jobs/monthlyRent';
import { messageSent, startProducer, type Producer } from './producers';
import { onTenantClosed } from '../../src/events/consumers/tenantClosed';

const euroPrices = (monthly: string): billingV1.PlanPrices => ({
  smsOutboundPerSegment: { defaultPrice: '0.05', byCountry: { DE: '0.075' } },
  mmsOutboundPerMessage: { defaultPrice: '0.2', byCountry: {} },
  inboundMessage: '0.01',
  numbers: [
    { numberType: 'local', country: '*', setup: '2', monthly },
    { numberType: 'mobile', country: '*', setup: '0', monthly },
    { numberType: 'toll_free', country: '*', setup: '0', monthly: '9' },
  ],
  callInboundPerMinute: '0.01',
  callOutboundPerMinute: '0.02',
  callRounding: billingV1.CallRounding.CALL_ROUNDING_PER_SECOND,
  taxPercent: { defaultPrice: '0', byCountry: { DE: '19' } },
  proRataFirstMonth: true,
});

describe('billing service', () => {
  let billing: RunningService<BillingApp>;
  let identity: RunningService<IdentityApp>;
  let billingClient: billingV1.BillingServiceClient;
  let identityClient: identityV1.IdentityServiceClient;
  const natsPrefix = uniquePrefix('billing');
  const producers: { messaging?: Producer; numbering?: Producer } = {};
  const balanceOf = async (tenantId: string) =>
    (await call(billingClient, billingClient.getBalance, {}, await as(tenantId))).balanceMinor;

  beforeAll(async () => {
    // Billing first: its consumer must cope with identity's stream not existing yet.
    billing = await startService('billing', (env) => buildApp(loadConfig(env)), {
      NATS_PREFIX: natsPrefix,
      BILLING_DEFAULT_CURRENCY: 'EUR',
      BILLING_NEW_TENANT_MODE: 'prepaid',
    });
    identity = await startIdentity({ NATS_PREFIX: natsPrefix });
    billingClient = createClient(billingV1.BillingServiceClient, billing.address, {
      serviceName: 'parley.billing.v1.BillingService',
    });
    identityClient = createClient(identityV1.IdentityServiceClient, identity.address, {
      serviceName: 'parley.identity.v1.IdentityService',
    });
  });

  afterAll(async () => {
    await producers.numbering?.stop();
    await producers.messaging?.stop();
    billingClient?.close();
    identityClient?.close();
    await identity?.stop();
    await billing?.stop();
  });

  describe('billing-on-tenant-created', () => {
    it('opens a zero-balance account for a tenant identity creates', async () => {
      await call(
        identityClient,
        identityClient.createTenant,
        {
          id: 'initech',
          name: 'Initech',
          tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
          jurisdiction: identityV1.Jurisdiction.JURISDICTION_CCPA,
          minimumAge: 0,
        },
        await asPlatform(),
      );
      const balance = await eventually('the billing account to open', async () =>
        call(billingClient, billingClient.getBalance, {}, await as('initech')),
      );

      expect(balance).toMatchObject({ tenantId: 'initech', currency: 'EUR', balanceMinor: '0' });
      const inbox = await billing.app.runtime.db.execute<{ n: number }>(
        sql`select count(*)::int as n from kit_inbox where consumer = 'billing-on-tenant-created'`,
      );
      expect(inbox.rows[0]?.n).toBe(1);
    });
  });

  describe('leaving: billing-on-tenant-closed and billing-on-account-closed', () => {
    /** The instant billing recorded, as an ISO string (PostgreSQL's JSON drops trailing zeros of the fraction). */
    const closedAtOf = async (tenantId: string, accountId: string) => {
      const closedAt = (
        await withTenant(billing.app.runtime.db, tenantId, (tx) =>
          tx.execute<{ closed_at: string | null }>(
            sql`select to_json(closed_at)#>>'{}' as closed_at from billing_profiles where tenant_id = ${tenantId} and account_id = ${accountId}`,
          ),
        )
      ).rows[0]?.closed_at;
      return closedAt ? new Date(closedAt).toISOString() : undefined;
    };
    const isoOf = (at: Date | undefined) => at?.toISOString();

    it('a closed tenant is refused everywhere, and billing records the day it left once, redelivery or not', async () => {
      const created = await call(
        identityClient,
        identityClient.createTenant,
        {
          id: 'hooli',
          name: 'Hooli',
          tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
          jurisdiction: identityV1.Jurisdiction.JURISDICTION_UK_GDPR,
          minimumAge: 0,
        },
        await asPlatform(),
      );
      const gateway = await as('', ['internal']);
      await call(identityClient, identityClient.authenticateApiKey, { secret: created.ownerApiKey }, gateway);
      // A sub-account of its own, closed while the tenant is still a customer.
      const { account } = await call(
        identityClient,
        identityClient.createAccount,
        {
          profile: identityV1.AccountProfile.fromPartial({
            fullName: 'Dinesh C',
            email: 'dinesh@example.com',
            timeZone: 'Europe/London',
            dateOfBirth: '1990-05-01',
          }),
          password: 'correct horse battery staple',
          roles: [],
          signupIp: '',
          signupUserAgent: '',
        },
        await as('hooli'),
      );
      await billing.app.invoices.saveProfile('hooli', {
        accountId: account!.id,
        name: 'Dinesh C',
        country: 'GB',
      });
      const accountClosed = await call(
        identityClient,
        identityClient.closeAccount,
        { accountId: account!.id },
        await as('hooli'),
      );
      expect(
        await eventually('the sub-account to be recorded as left', async () => {
          const at = await closedAtOf('hooli', account!.id);
          if (!at) throw new Error('not yet');
          return at;
        }),
      ).toEqual(isoOf(accountClosed.account!.closedAt));

      // Only a platform operator closes a tenant; closing twice answers the first closing.
      await expectStatus(
        call(identityClient, identityClient.closeTenant, { id: 'hooli' }, await as('hooli')),
        status.PERMISSION_DENIED,
      );
      await expectStatus(
        call(identityClient, identityClient.closeTenant, { id: 'nobody-here' }, await asPlatform()),
        status.NOT_FOUND,
        'TENANT_NOT_FOUND',
      );
      const closed = await call(
        identityClient,
        identityClient.closeTenant,
        { id: 'hooli' },
        await asPlatform(),
      );
      expect(closed.tenant?.status).toBe(identityV1.TenantStatus.TENANT_STATUS_CLOSED);
      const again = await call(
        identityClient,
        identityClient.closeTenant,
        { id: 'hooli' },
        await asPlatform(),
      );
      expect(again.closedAt).toEqual(closed.closedAt);

      // Its keys and its users are refused from now on.
      await expectStatus(
        call(identityClient, identityClient.authenticateApiKey, { secret: created.ownerApiKey }, gateway),
        status.UNAUTHENTICATED,
        'TENANT_INACTIVE',
      );
      const user = await call(
        identityClient,
        identityClient.getUserStatus,
        { tenantId: 'hooli', userId: 'any-user-of-hooli' },
        gateway,
      );
      expect(user.status).toBe(identityV1.UserStatus.USER_STATUS_TENANT_INACTIVE);

      const left = await eventually('the tenant to be recorded as left', async () => {
        const at = await closedAtOf('hooli', '');
        if (!at) throw new Error('not yet');
        return at;
      });
      expect(left).toEqual(isoOf(closed.closedAt));

      // identity.tenant.closed published once; delivered again (the same envelope, a new stream message) it
      // changes nothing, and neither does a later closing.
      const events = (await publishedEvents(identity.app.runtime, 'identity')).filter(
        (event) => event.tenantId === 'hooli' && event.type === 'identity.tenant.closed',
      );
      expect(events).toHaveLength(1);
      await redeliver(identity.app.runtime, 'identity', events[0]!.eventId);
      const handled = async () =>
        (
          await billing.app.runtime.db.execute<{ n: number }>(
            sql`select count(*)::int as n from kit_inbox where consumer = 'billing-on-tenant-closed'
                and event_id = ${events[0]!.eventId}`,
          )
        ).rows[0]?.n;
      expect(await handled()).toBe(1);
      const later = onTenantClosed();
      await withTenant(billing.app.runtime.db, 'hooli', (tx) =>
        later.handle(
          tx,
          {
            envelope: eventsV1.Envelope.fromPartial({ eventId: randomUUID(), tenantId: 'hooli' }),
            payload: { tenantId: 'hooli', closedAt: new Date(Date.now() + 86_400_000) },
          },
          billing.app.runtime.log,
        ),
      );
      await eventually('the redelivered event to be consumed', async () => {
        const pending = await pendingFor(billing.app.runtime, 'identity', 'billing-on-tenant-closed');
        if (pending !== 0) throw new Error(`${pending} pending`);
      });
      expect(await closedAtOf('hooli', '')).toEqual(isoOf(closed.closedAt));
      expect(await handled()).toBe(1);
    });
  });

  describe('BillingService/GetBalance', () => {
    it('answers NOT_FOUND for a tenant without an account', async () => {
      await expectStatus(
        call(billingClient, billingClient.getBalance, {}, await as('nobody')),
        status.NOT_FOUND,
        'BILLING_ACCOUNT_NOT_FOUND',
      );
    });
  });

  describe('plans', () => {
    it('lets only platform operators create plans, names bad prices, and never starts a version in the past', async () => {
      await expectStatus(
        call(
          billingClient,
          billingClient.createPlan,
          { id: 'x', name: 'X', currency: 'EUR', isDefault: false, prices: euroPrices('1') },
          await as('initech'),
        ),
        status.PERMISSION_DENIED,
      );
      await expectStatus(
        call(
          billingClient,
          billingClient.createPlan,
          {
            id: 'bad',
            name: 'Bad',
            currency: 'EUR',
            isDefault: false,
            prices: { ...euroPrices('1'), inboundMessage: '0.1234567891' },
          },
          await asPlatform(),
        ),
        status.INVALID_ARGUMENT,
        'PLAN_PRICES_INVALID',
      );
      const created = await call(
        billingClient,
        billingClient.createPlan,
        { id: 'euro', name: 'Euro', currency: 'EUR', isDefault: true, prices: euroPrices('3.00') },
        await asPlatform(),
      );
      expect(created.plan).toMatchObject({
        id: 'euro',
        currency: 'EUR',
        isDefault: true,
        versions: [{ version: 1 }],
      });
      await expectStatus(
        call(
          billingClient,
          billingClient.addPlanVersion,
          { planId: 'euro', prices: euroPrices('4.00'), effectiveFrom: new Date(Date.now() - 86_400_000) },
          await asPlatform(),
        ),
        status.INVALID_ARGUMENT,
        'EFFECTIVE_FROM_IN_PAST',
      );
      // In the future, and in force before January 2027, whose rent is charged below (30 days from now was,
      // until a run on 2 December after midnight made it 1 January after midnight).
      const later = new Date(
        Math.max(
          Date.now() + 60_000,
          Math.min(Date.now() + 30 * 86_400_000, Date.parse('2026-12-31T00:00:00Z')),
        ),
      );
      const added = await call(
        billingClient,
        billingClient.addPlanVersion,
        { planId: 'euro', prices: euroPrices('4.00'), effectiveFrom: later },
        await asPlatform(),
      );
      expect(added.plan?.versions.map((version) => version.version)).toEqual([1, 2]);
      const listed = await call(billingClient, billingClient.listPlans, {}, await asPlatform());
      expect(listed.plans.map((plan) => plan.id)).toEqual(['euro', 'standard']);
      // initech's account (EUR) was opened before a EUR plan existed: the operator assigns it.
      await expectStatus(
        call(
          billingClient,
          billingClient.assignPlan,
          { tenantId: 'initech', planId: 'standard' },
          await asPlatform(),
        ),
        status.FAILED_PRECONDITION,
        'PLAN_CURRENCY_MISMATCH',
      );
      await call(
        billingClient,
        billingClient.assignPlan,
        { tenantId: 'initech', planId: 'euro' },
        await asPlatform(),
      );
      const mine = await call(billingClient, billingClient.getPlan, {}, await as('initech'));
      expect(mine.plan).toMatchObject({ id: 'euro', versions: [{ version: 1 }, { version: 2 }] });
      expect(mine.plan?.versions[0]?.prices?.smsOutboundPerSegment?.byCountry).toEqual({ DE: '0.075' });
    });
  });

  describe('number setup, rent and late usage', () => {
    let numbering: Producer;
    let messaging: Producer;
    beforeAll(async () => {
      numbering = await startProducer('numbering', natsPrefix);
      messaging = await startProducer('messaging', natsPrefix);
      producers.messaging = messaging;
      producers.numbering = numbering;
    });

    const lines = (category: string) =>
      withTenant(
        billing.app.runtime.db,
        'initech',
        async (tx) =>
          (
            await tx.execute<{
              source_id: string;
              billing_period: string;
              amount_minor: string;
              plan_version: number;
            }>(
              sql`select source_id, billing_period, amount_minor::text, plan_version from usage_records
                 where category = ${category} order by source_id`,
            )
          ).rows,
      );

    it('charges setup and a pro-rata first month at assignment, then each month once', async () => {
      // Assigned on 16 November 2026 (30 days): half a month of EUR 3.00.
      await numbering.publish(
        (tx, runtime) =>
          runtime.outbox
            .enqueue(tx, {
              type: 'numbering.number.assigned',
              tenantId: 'initech',
              key: 'number:n-1',
              payloadType: 'parley.numbering.v1.NumberAssigned',
              messageType: numberingV1.NumberAssigned,
              payload: {
                numberId: 'n-1',
                e164: '+4930123456',
                country: 'DE',
                type: 'local',
                setupPrice: undefined,
                monthlyPrice: undefined,
                assignedAt: new Date('2026-11-16T09:00:00Z'),
                accountId: '',
                source: 'purchase',
                sourceId: 'o-1',
              },
            })
            .then(() => undefined),
        'initech',
      );
      await eventually('the setup to be rated', async () => {
        if ((await lines('number_setup')).length === 0) throw new Error('not yet');
      });
      expect(await lines('number_setup')).toMatchObject([{ amount_minor: '200', billing_period: '2026-11' }]);
      const rent = await lines('number_rent');
      // The first month, and every month since that the job would have charged (this one, December).
      expect(rent[0]).toEqual({
        source_id: 'rent:n-1:2026-11',
        billing_period: '2026-11',
        amount_minor: '150',
        plan_version: 1,
      });

      // The monthly job, twice for the same period (a retry, a second replica): one line.
      for (let attempt = 0; attempt < 2; attempt += 1)
        await billing.app.runtime.jobs.send(MONTHLY_RENT_QUEUE, { period: '2027-01' });
      await eventually('the January rent', async () => {
        if (!(await lines('number_rent')).some((line) => line.source_id === 'rent:n-1:2027-01'))
          throw new Error('no');
      });
      const january = (await lines('number_rent')).filter((line) => line.source_id === 'rent:n-1:2027-01');
      // Version 2 (EUR 4.00, effective before January) is in force when January starts; November kept version 1.
      expect(january).toEqual([
        { source_id: 'rent:n-1:2027-01', billing_period: '2027-01', amount_minor: '400', plan_version: 2 },
      ]);
      expect((await lines('number_rent'))[0]).toMatchObject({ amount_minor: '150', plan_version: 1 });
    });

    it('puts usage for a closed period on the next open one', async () => {
      const usage = new UsageRepository();
      await withTenant(billing.app.runtime.db, 'initech', (tx) =>
        usage.closePeriod(tx, 'initech', '2026-10'),
      );
      await messaging.emit(
        messageSent('initech', {
          messageId: 'late',
          segments: 2,
          destinationCountry: 'DE',
          sentAt: new Date('2026-10-31T23:59:00Z'),
        }),
      );
      const rated = await eventually('the late message to be rated', async () => {
        const found = await lines('sms_outbound');
        if (found.length === 0) throw new Error('not yet');
        return found;
      });
      // 2 × 0.075 = 0.15, onto November: October's invoice is issued.
      expect(rated).toMatchObject([{ billing_period: '2026-11', amount_minor: '15' }]);
    });
    it('charges a resold sub-account’s number at the tenant’s prices too, once per month at each level', async () => {
      const charged = async () =>
        withTenant(billing.app.runtime.db, 'initech', async (tx) => {
          const result = await tx.execute<{ platform: string }>(
            sql`select coalesce(sum(amount_minor), 0)::text as platform from usage_records where seller = 'platform'`,
          );
          return BigInt(result.rows[0]!.platform);
        });
      const before = { balance: BigInt(await balanceOf('initech')), charged: await charged() };
      await call(
        billingClient,
        billingClient.createAccountPlan,
        {
          id: 'resale',
          name: 'Resale',
          currency: 'EUR',
          prices: {
            ...euroPrices('5.00'),
            numbers: euroPrices('5.00').numbers.map((entry) => ({ ...entry, setup: '1' })),
            proRataFirstMonth: false,
          },
        },
        await as('initech'),
      );
      await call(
        billingClient,
        billingClient.setAccountPlan,
        { accountId: 'cust-n', planId: 'resale' },
        await as('initech'),
      );
      await numbering.publish(
        (tx, runtime) =>
          runtime.outbox
            .enqueue(tx, {
              type: 'numbering.number.assigned',
              tenantId: 'initech',
              key: 'number:n-2',
              payloadType: 'parley.numbering.v1.NumberAssigned',
              messageType: numberingV1.NumberAssigned,
              payload: {
                numberId: 'n-2',
                e164: '+4930123457',
                country: 'DE',
                type: 'local',
                setupPrice: undefined,
                monthlyPrice: undefined,
                assignedAt: new Date('2026-11-20T10:00:00Z'),
                accountId: 'cust-n',
                source: 'purchase',
                sourceId: 'o-2',
              },
            })
            .then(() => undefined),
        'initech',
      );
      const ofNumber = () =>
        withTenant(
          billing.app.runtime.db,
          'initech',
          async (tx) =>
            (
              await tx.execute<{
                seller: string;
                source_id: string;
                amount_minor: string;
                plan_id: string;
              }>(sql`
                select seller, source_id, amount_minor::text, plan_id from usage_records
                 where reference = 'n-2' order by seller, source_id`)
            ).rows,
        );
      await eventually('the resold number to be rated', async () => {
        if ((await ofNumber()).length < 4) throw new Error('not yet');
      });
      for (let attempt = 0; attempt < 2; attempt += 1)
        await billing.app.runtime.jobs.send(MONTHLY_RENT_QUEUE, { period: '2027-02' });
      await eventually('the February rent', async () => {
        if (!(await ofNumber()).some((line) => line.source_id === 'rent:n-2:2027-02')) throw new Error('no');
      });
      const byKey = (await ofNumber()).filter(
        (line) => !line.source_id.includes(':2026-12') && !line.source_id.includes(':2027-01'),
      );
      // The platform: setup EUR 2, 11/30 of November at 3.00, February at 4.00 (its version 2). The tenant to
      // its customer: setup EUR 1, the whole of November (no pro rata on its plan), February, at 5.00.
      expect(
        byKey.map(({ seller, source_id, amount_minor, plan_id }) => [
          seller,
          source_id.replace(/^[0-9a-f-]{36}$/, 'event'),
          amount_minor,
          plan_id,
        ]),
      ).toEqual([
        ['platform', 'event', '200', 'euro'],
        ['platform', 'rent:n-2:2026-11', '110', 'euro'],
        ['platform', 'rent:n-2:2027-02', '400', 'euro'],
        ['tenant', 'event', '100', 'resale'],
        ['tenant', 'rent:n-2:2026-11', '500', 'resale'],
        ['tenant', 'rent:n-2:2027-02', '500', 'resale'],
      ]);
      // The tenant's wallet pays Parley's lines only: what its customer owes it is not Parley's to collect.
      expect(before.balance - BigInt(await balanceOf('initech'))).toBe((await charged()) - before.charged);
      // What the tenant charged its customer, by day, apart from what Parley charged the tenant.
      const resold = await call(
        billingClient,
        billingClient.summariseUsage,
        {
          from: new Date('2026-11-01T00:00:00Z'),
          to: new Date('2027-03-01T00:00:00Z'),
          category: '',
          accountId: 'cust-n',
          seller: 'tenant',
        },
        await as('initech'),
      );
      expect(resold.totals.filter((total) => total.day === '2026-11-20')).toEqual([
        {
          day: '2026-11-20',
          category: 'number_rent',
          lines: '1',
          quantity: '1',
          amount: { currency: 'EUR', minorUnits: '500' },
        },
        {
          day: '2026-11-20',
          category: 'number_setup',
          lines: '1',
          quantity: '1',
          amount: { currency: 'EUR', minorUnits: '100' },
        },
      ]);
    });
  });

  describe('BillingService/SummariseUsage', () => {
    it('sums rated usage by UTC day and category, filtered, and names a bad range', async () => {
      const summary = await call(
        billingClient,
        billingClient.summariseUsage,
        {
          from: new Date('2026-10-01T00:00:00Z'),
          to: new Date('2027-02-01T00:00:00Z'),
          category: '',
          accountId: '',
          seller: '',
        },
        await as('initech'),
      );
      expect(summary.totals).toEqual(
        expect.arrayContaining([
          {
            day: '2026-10-31',
            category: 'sms_outbound',
            lines: '1',
            quantity: '2',
            amount: { currency: 'EUR', minorUnits: '15' },
          },
          {
            day: '2026-11-16',
            category: 'number_setup',
            lines: '1',
            quantity: '1',
            amount: { currency: 'EUR', minorUnits: '200' },
          },
          {
            day: '2026-11-16',
            category: 'number_rent',
            lines: '1',
            quantity: '0.5',
            amount: { currency: 'EUR', minorUnits: '150' },
          },
        ]),
      );
      const rentOnly = await call(
        billingClient,
        billingClient.summariseUsage,
        {
          from: new Date('2026-10-01T00:00:00Z'),
          to: new Date('2027-02-01T00:00:00Z'),
          category: 'number_rent',
          accountId: '',
          seller: '',
        },
        await as('initech'),
      );
      expect(new Set(rentOnly.totals.map((total) => total.category))).toEqual(new Set(['number_rent']));
      // Another tenant sees none of it.
      const other = await call(
        billingClient,
        billingClient.summariseUsage,
        {
          from: new Date('2026-10-01T00:00:00Z'),
          to: new Date('2027-02-01T00:00:00Z'),
          category: '',
          accountId: '',
          seller: '',
        },
        await as('someone-else'),
      );
      expect(other.totals).toEqual([]);
      await expectStatus(
        call(
          billingClient,
          billingClient.summariseUsage,
          {
            from: new Date('2027-01-01T00:00:00Z'),
            to: new Date('2026-01-01T00:00:00Z'),
            category: 'nope',
            accountId: '',
            seller: 'nobody',
          },
          await as('initech'),
        ),
        status.INVALID_ARGUMENT,
        'USAGE_QUERY_INVALID',
      );
    });
  });

  describe('prepaid authorisation', () => {
    const authorise = async () =>
      call(
        billingClient,
        billingClient.authorise,
        { kind: 'sms', segments: 2, destinationCountry: 'DE', reference: `m-${Math.random()}` },
        await as('initech', ['messages:write']),
      );
    const balance = async () =>
      (await call(billingClient, billingClient.getBalance, {}, await as('initech'))).balanceMinor;

    it('refuses a tenant with no balance at once, and a top-up unblocks it at once; a credit applies once', async () => {
      // initech has been charged its number's setup and rent above: its prepaid balance is below zero.
      expect(BigInt(await balance())).toBeLessThan(0n);
      expect(await authorise()).toMatchObject({
        allowed: false,
        reason: 'INSUFFICIENT_BALANCE',
        reservationId: '',
      });
      await call(
        billingClient,
        billingClient.updateWallet,
        { tenantId: 'initech', lowBalanceThresholdMinor: '1000' },
        await asPlatform(),
      );

      const owed = -BigInt(await balance());
      const topUp = Money.of(owed + 1000n, 'EUR'); // leaves EUR 10.00, the threshold
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const applied = await billing.app.runtime.withTenant('initech', (tx) =>
          billing.app.wallet.credit(tx, 'initech', topUp, 'top-up-1'),
        );
        expect(applied).toBe(attempt === 0);
      }
      expect(await balance()).toBe('1000');
      const allowed = await eventually('the top-up to reach authorisation', async () => {
        const answer = await authorise();
        if (!answer.allowed) throw new Error(answer.reason);
        return answer;
      });
      // 2 segments at EUR 0.075 = 0.15
      expect(allowed.estimate).toEqual({ currency: 'EUR', minorUnits: '15' });
      await call(
        billingClient,
        billingClient.releaseReservation,
        { reservationId: allowed.reservationId },
        await as('initech', ['messages:write']),
      );
    });

    it('publishes billing.balance.low once when usage takes the balance below the threshold', async () => {
      const messaging = producers.messaging!;
      for (const id of ['low-1', 'low-2'])
        await messaging.emit(
          messageSent('initech', { messageId: id, segments: 1, destinationCountry: 'FR' }),
        );
      await eventually('both sends debited', async () => {
        if ((await balance()) !== '990') throw new Error(await balance());
      });
      const low = (await publishedEvents(billing.app.runtime, 'billing')).filter(
        (event) => event.type === 'billing.balance.low',
      );
      expect(low.map((event) => billingV1.BalanceLow.decode(event.payload))).toEqual([
        { balanceMinor: '995', thresholdMinor: '1000', currency: 'EUR' },
      ]);
    });
  });

  describe('billing-on-message-failed', () => {
    it('ends the failed send’s reservation on every replica by announcing the balance with the message as reference', async () => {
      await producers.messaging!.publish(
        (tx, runtime) =>
          runtime.outbox
            .enqueue(tx, {
              type: 'messaging.message.failed',
              tenantId: 'initech',
              key: 'message:failed-1',
              payloadType: 'parley.messaging.v1.MessageFailed',
              messageType: messagingV1.MessageFailed,
              payload: {
                messageId: 'failed-1',
                status: 'failed',
                errorCode: 'ESME_RSUBMITFAIL',
                segmentsSent: 0,
                failedAt: new Date(),
              },
            })
            .then(() => undefined),
        'initech',
      );
      const announced = await eventually('the release to be announced', async () => {
        const found = (await publishedEvents(billing.app.runtime, 'billing'))
          .filter((event) => event.type === 'billing.balance.changed')
          .map((event) => billingV1.BalanceChanged.decode(event.payload))
          .find((change) => change.reference === 'failed-1');
        if (!found) throw new Error('not yet');
        return found;
      });
      expect(announced).toMatchObject({
        currency: 'EUR',
        billingMode: 'prepaid',
        balanceMinor: await balanceOf('initech'),
      });
    });
  });

  describe('tenant walls (row-level security)', () => {
    it('covers every tenant table, and holds against hand-written SQL', async () => {
      expect(await expectEveryTenantTableWalled(billing.app.runtime.db)).toEqual([
        'account_plan_assignments',
        'account_plan_versions',
        'account_plans',
        'billing_accounts',
        'billing_numbers',
        'billing_periods',
        'billing_profiles',
        'invoice_counters',
        'invoice_lines',
        'invoice_payments',
        'invoices',
        'payment_methods',
        'payment_webhook_events',
        'refunds',
        'top_ups',
        'usage_records',
        'wallet_credits',
      ]);
      await expectTenantWall(billing.app.runtime.db, {
        table: 'billing_accounts',
        insert: (tenantId) =>
          sql`insert into billing_accounts (tenant_id) values (${tenantId}) on conflict do nothing`,
      });
    });
  });
});
