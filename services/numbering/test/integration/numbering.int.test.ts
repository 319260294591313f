// Numbering over real gRPC, PostgreSQL, NATS and the carrier simulator as its own process.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { call, createClient, decodeServiceError, withTenant } from '@parley/kit';
import { numberingV1 } from '@parley/proto';
import { as } from '../../../../tests/support/callers';
import { startCarrierSim, type CarrierSimHandle } from '../../../../tests/support/carrierSim';
import { publishedEvents as publishedOn } from '../../../../tests/support/streams';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { expectEveryTenantTableWalled, expectTenantWall } from '../../../../tests/support/rls';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp, type NumberingApp } from '../../src/app';
import { loadConfig } from '../../src/config';

type Client = numberingV1.NumberingServiceClient;

describe('numbering service against the carrier simulator', () => {
  let carrier: CarrierSimHandle;
  let service: RunningService<NumberingApp>;
  let client: Client;

  beforeAll(async () => {
    carrier = await startCarrierSim({ orderDelayMs: 200, portStepMs: 300, holdMs: 5_000 });
    service = await startService('numbering', (env) => buildApp(loadConfig(env)), {
      ...carrier.env,
      NUMBER_SUPPLIER_TIMEOUT_MS: '1000',
    });
    client = createClient(numberingV1.NumberingServiceClient, service.address, {
      serviceName: 'parley.numbering.v1.NumberingService',
    });
  });

  afterAll(async () => {
    client?.close();
    await service?.stop();
    await carrier?.stop();
  });

  /** Caller metadata for a tenant, with a request id as the gateway sends one. */
  const asTenant = async (tenantId: string, requestId?: string) => {
    const options = await as(tenantId);
    if (requestId) options.metadata.set('parley-request-id', requestId);
    return options;
  };
  const search = async (tenantId: string, query: Partial<numberingV1.SearchAvailableNumbersRequest>) =>
    call(
      client,
      client.searchAvailableNumbers,
      { country: 'US', areaCode: '', type: '', capabilities: [], contains: '', limit: 0, ...query },
      await asTenant(tenantId),
    );
  /** A number the simulator sells normally (not one of its magic endings). */
  const ordinary = async (
    tenantId: string,
    query: Partial<numberingV1.SearchAvailableNumbersRequest> = {},
  ) => {
    const { numbers } = await search(tenantId, {
      areaCode: '415',
      capabilities: ['sms', 'voice'],
      limit: 50,
      ...query,
    });
    const found = numbers.find((number) => !/999[0-2]$/.test(number.phoneNumber));
    if (!found) throw new Error('no ordinary number found');
    return found;
  };
  const magic = async (tenantId: string, ending: string) => {
    const { numbers } = await search(tenantId, { areaCode: '415', contains: ending, limit: 100 });
    const found = numbers.find((number) => number.phoneNumber.endsWith(ending));
    if (!found) throw new Error(`no number ending ${ending}`);
    return found;
  };
  const buy = async (tenantId: string, phoneNumber: string, requestId?: string, accountId = '') =>
    (
      await call(
        client,
        client.createNumberOrder,
        { phoneNumber, accountId },
        { ...(await asTenant(tenantId, requestId)), timeoutMs: 10_000 },
      )
    ).order!;
  const settled = (tenantId: string, orderId: string) =>
    eventually(
      'the order to settle',
      async () => {
        const { order } = await call(client, client.getNumberOrder, { orderId }, await asTenant(tenantId));
        if (order!.status === 'pending') throw new Error('still pending');
        return order!;
      },
      30_000,
    );
  /** Where the simulator delivers a number's traffic, as its own API shows it. */
  const routingAtSupplier = async (e164: string) => {
    const response = await fetch(`${carrier.url}/v1/numbers/${encodeURIComponent(e164)}`, {
      headers: { authorization: `Bearer ${carrier.apiKey}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: { routing: Record<string, string> } }).data.routing;
  };
  const owned = async (tenantId: string, phoneNumber: string) => {
    const order = await buy(tenantId, phoneNumber, randomUUID());
    const done = await settled(tenantId, order.id);
    expect(done.status).toBe('active');
    return (await call(client, client.getNumber, { numberId: done.numberId }, await asTenant(tenantId)))
      .number!;
  };
  const publishedEvents = () => publishedOn(service.app.runtime, 'numbering');

  describe('NumberingService/SearchAvailableNumbers', () => {
    it('finds numbers with every capability asked for, priced in the tenant billing currency', async () => {
      const usd = await search('search-usd', { areaCode: '415', capabilities: ['sms'], limit: 5 });
      expect(usd.numbers.length).toBeGreaterThan(0);
      for (const number of usd.numbers) {
        expect(number).toMatchObject({ country: 'US', areaCode: '415' });
        expect(number.capabilities).toContain('sms');
        expect(number.monthlyPrice).toEqual({ currency: 'USD', minorUnits: '115' });
      }
      await call(
        client,
        client.updateNumberingSettings,
        { billingCurrency: 'EUR' },
        await asTenant('search-eur'),
      );
      const eur = await search('search-eur', { areaCode: '415', capabilities: ['sms'], limit: 5 });
      // USD 1.15 at 0.92 is EUR 1.058, rounded once, half away from zero: EUR 1.06.
      expect(eur.numbers[0]!.monthlyPrice).toEqual({ currency: 'EUR', minorUnits: '106' });
    });

    it('answers COUNTRY_UNKNOWN and PATTERN_MALFORMED with the field, and refuses a currency it cannot price', async () => {
      await expectStatus(search('search-bad', { country: 'XX' }), status.INVALID_ARGUMENT, 'COUNTRY_UNKNOWN');
      await expectStatus(
        search('search-bad', { contains: '55a' }),
        status.INVALID_ARGUMENT,
        'PATTERN_MALFORMED',
      );
      const violations = await expectStatus(
        search('search-bad', { capabilities: ['fax'] }),
        status.INVALID_ARGUMENT,
        'NUMBERING_INVALID_REQUEST',
      );
      expect(violations.fieldViolations.map((v) => v.field)).toEqual(['capabilities']);
      await expectStatus(
        call(
          client,
          client.updateNumberingSettings,
          { billingCurrency: 'JPY' },
          await asTenant('search-bad'),
        ),
        status.INVALID_ARGUMENT,
        'NUMBERING_INVALID_REQUEST',
      );
    });
  });

  describe('NumberingService/CreateNumberOrder', () => {
    it('buys a number: pending, then active, listed, and numbering.number.assigned carries what billing needs', async () => {
      const found = await ordinary('buyer');
      const order = await buy('buyer', found.phoneNumber, randomUUID(), 'acct-1');
      expect(order).toMatchObject({ status: 'pending', phoneNumber: found.phoneNumber });
      const done = await settled('buyer', order.id);
      expect(done.status).toBe('active');
      // Its traffic was pointed at Parley before it was shown active.
      expect(await routingAtSupplier(found.phoneNumber)).toEqual({ messagingRoute: 'parley' });
      const { numbers } = await call(
        client,
        client.listNumbers,
        {
          pageSize: 10,
          pageToken: '',
          capability: 'sms',
          status: 'active',
          country: 'US',
          accountId: 'acct-1',
        },
        await asTenant('buyer'),
      );
      expect(numbers.map((n) => n.e164)).toEqual([found.phoneNumber]);
      expect(numbers[0]).toMatchObject({ status: 'active', type: found.type, throughputClass: 'long_code' });
      const assigned = (await publishedEvents()).filter(
        (event) => event.type === 'numbering.number.assigned' && event.tenantId === 'buyer',
      );
      expect(assigned).toHaveLength(1);
      const payload = numberingV1.NumberAssigned.decode(assigned[0]!.payload);
      expect(payload).toMatchObject({
        numberId: done.numberId,
        e164: found.phoneNumber,
        country: 'US',
        type: found.type,
        setupPrice: found.setupPrice,
        monthlyPrice: found.monthlyPrice,
        accountId: 'acct-1',
        source: 'purchase',
      });
    });

    it('returns the same order for a retried and for racing requests, and the supplier sells it once', async () => {
      const before = await carrier.counters();
      const found = await ordinary('racer');
      const requestId = randomUUID();
      const [a, b] = await Promise.all([
        buy('racer', found.phoneNumber, requestId),
        buy('racer', found.phoneNumber, requestId),
      ]);
      const c = await buy('racer', found.phoneNumber, requestId);
      // A second request with its own id while the first is pending gets the same order too.
      const d = await buy('racer', found.phoneNumber, randomUUID());
      expect(new Set([a.id, b.id, c.id, d.id]).size).toBe(1);
      expect((await settled('racer', a.id)).status).toBe('active');
      const after = await carrier.counters();
      expect((after.ordersPlaced ?? 0) - (before.ordersPlaced ?? 0)).toBe(1);
      expect((after.numbersSold ?? 0) - (before.numbersSold ?? 0)).toBe(1);
      await expectStatus(
        buy('racer', found.phoneNumber, randomUUID()),
        status.ALREADY_EXISTS,
        'NUMBER_ALREADY_OWNED',
      );
    });

    it('answers 409 NUMBER_NOT_AVAILABLE for a number another buyer took between search and purchase', async () => {
      const taken = await magic('late', '9991');
      await expectStatus(
        buy('late', taken.phoneNumber, randomUUID()),
        status.ALREADY_EXISTS,
        'NUMBER_NOT_AVAILABLE',
      );
      // Nothing half-written: no order, and the number is not held by the tenant.
      const orders = await withTenant(service.app.runtime.db, 'late', (tx) =>
        tx.execute<{ n: number }>(sql`select count(*)::int as n from number_orders`),
      );
      expect(orders.rows[0]!.n).toBe(0);
    });

    it('refuses a number another tenant holds, and one never searched', async () => {
      const found = await ordinary('holder-a');
      await owned('holder-a', found.phoneNumber);
      await expectStatus(buy('holder-b', found.phoneNumber), status.ALREADY_EXISTS, 'NUMBER_NOT_AVAILABLE');
      const unseen = await ordinary('holder-a', { areaCode: '212' });
      await expectStatus(
        buy('holder-c', unseen.phoneNumber),
        status.FAILED_PRECONDITION,
        'NUMBER_NOT_SEARCHED',
      );
      await expectStatus(buy('holder-c', '+1415'), status.INVALID_ARGUMENT, 'NUMBERING_INVALID_REQUEST');
    });

    it('fails an order the carrier rejects, with its reason code, and frees the number', async () => {
      const rejected = await magic('rejected', '9990');
      const order = await buy('rejected', rejected.phoneNumber, randomUUID());
      const done = await settled('rejected', order.id);
      expect(done).toMatchObject({ status: 'failed', failureReason: 'carrier_rejected', numberId: '' });
    });

    it('answers 503 SUPPLIER_UNAVAILABLE with a retry time during an outage, and completes the order when the supplier is back', async () => {
      const found = await ordinary('outage', { areaCode: '512' });
      await carrier.outage(3);
      try {
        const failure = await search('outage', { areaCode: '512' }).then(
          () => undefined,
          (error: unknown) => decodeServiceError(error),
        );
        expect(failure).toMatchObject({ code: status.UNAVAILABLE, reason: 'SUPPLIER_UNAVAILABLE' });
        expect(failure!.retryAfterSeconds).toBeGreaterThan(0);
        const order = await buy('outage', found.phoneNumber, randomUUID());
        expect(order.status).toBe('pending');
        expect((await settled('outage', order.id)).status).toBe('active');
      } finally {
        await carrier.clearOutage();
      }
    });
  });

  describe('NumberingService/ReserveNumbers', () => {
    it('holds up to 10 found numbers for 30 minutes and buys a held one', async () => {
      const { numbers } = await search('reserver', { areaCode: '312', capabilities: ['sms'], limit: 3 });
      const phoneNumbers = numbers
        .filter((n) => !/999[0-2]$/.test(n.phoneNumber))
        .map((n) => n.phoneNumber)
        .slice(0, 2);
      const { reservation } = await call(
        client,
        client.reserveNumbers,
        { phoneNumbers },
        await asTenant('reserver', randomUUID()),
      );
      expect(reservation!.phoneNumbers).toEqual(phoneNumbers);
      const minutes = (reservation!.expiresAt!.getTime() - Date.now()) / 60_000;
      expect(minutes).toBeGreaterThan(29);
      expect(minutes).toBeLessThanOrEqual(30.1);
      const order = await buy('reserver', phoneNumbers[0]!, randomUUID());
      expect((await settled('reserver', order.id)).status).toBe('active');
      // A reservation that ran out, for a number whose search is too old to buy from: RESERVATION_EXPIRED.
      await call(
        client,
        client.reserveNumbers,
        { phoneNumbers: [phoneNumbers[1]!] },
        await asTenant('reserver'),
      );
      await withTenant(service.app.runtime.db, 'reserver', async (tx) => {
        await tx.execute(sql`update reservations set expires_at = now() - interval '1 minute'`);
        await tx.execute(sql`update offers set seen_at = now() - interval '2 days'`);
      });
      await expectStatus(
        buy('reserver', phoneNumbers[1]!),
        status.FAILED_PRECONDITION,
        'RESERVATION_EXPIRED',
      );
      await expectStatus(
        call(
          client,
          client.reserveNumbers,
          { phoneNumbers: Array(11).fill(phoneNumbers[1]) },
          await asTenant('reserver'),
        ),
        status.INVALID_ARGUMENT,
        'NUMBERING_INVALID_REQUEST',
      );
    });
  });

  describe('NumberingService/UpdateNumber and ResolveNumber', () => {
    it("keeps another replica's ResolveNumber cache fresh through the numbering events, not its time to live", async () => {
      // A second replica on the same database and stream, whose cached answers would live ten minutes.
      const replica = buildApp(
        loadConfig({ ...service.env, GRPC_PORT: '0', RESOLVE_CACHE_TTL_MS: '600000' }),
      );
      await replica.start();
      const other = createClient(
        numberingV1.NumberingServiceClient,
        `127.0.0.1:${replica.runtime.grpcPort}`,
        {
          serviceName: 'parley.numbering.v1.NumberingService',
        },
      );
      try {
        const found = await ordinary('replicas', { areaCode: '212' });
        const number = await owned('replicas', found.phoneNumber);
        const resolveAs = await as('', ['internal']);
        const cached = await call(other, other.resolveNumber, { phoneNumber: number.e164 }, resolveAs);
        expect(cached).toMatchObject({ tenantId: 'replicas', forwardingTarget: '' });
        // Changed through the first replica: the second hears of it from the configured event.
        await call(
          client,
          client.updateNumber,
          { numberId: number.id, patch: { forwardingTarget: '+14155550142' } },
          await asTenant('replicas'),
        );
        const fresh = await eventually('the replica to drop its cached answer', async () => {
          const answer = await call(other, other.resolveNumber, { phoneNumber: number.e164 }, resolveAs);
          if (answer.forwardingTarget !== '+14155550142') throw new Error('still the cached answer');
          return answer;
        });
        expect(fresh).toMatchObject({ tenantId: 'replicas', numberId: number.id });
        // Released through the first replica: the second stops resolving it.
        await call(client, client.releaseNumber, { numberId: number.id }, await asTenant('replicas'));
        await eventually('the replica to forget the released number', async () => {
          const answer = await expectStatus(
            call(other, other.resolveNumber, { phoneNumber: number.e164 }, resolveAs),
            status.NOT_FOUND,
          );
          return answer;
        });
      } finally {
        other.close();
        await replica.stop();
      }
    });

    it('sets forwarding and caller ID, publishes configured, and ResolveNumber answers the change', async () => {
      const found = await ordinary('config', { areaCode: '617' });
      const number = await owned('config', found.phoneNumber);
      const resolveAs = await as('', ['internal']);
      const before = await call(client, client.resolveNumber, { phoneNumber: number.e164 }, resolveAs);
      expect(before).toMatchObject({ tenantId: 'config', numberId: number.id, forwardingTarget: '' });
      const { number: updated } = await call(
        client,
        client.updateNumber,
        {
          numberId: number.id,
          patch: { forwardingTarget: '+14155550199', callerId: '+14155550123', friendlyName: 'Front desk' },
        },
        await asTenant('config'),
      );
      expect(updated).toMatchObject({
        forwardingTarget: '+14155550199',
        callerId: '+14155550123',
        friendlyName: 'Front desk',
      });
      const after = await call(client, client.resolveNumber, { phoneNumber: number.e164 }, resolveAs);
      expect(after.forwardingTarget).toBe('+14155550199');
      const configured = (await publishedEvents()).filter(
        (event) => event.type === 'numbering.number.configured' && event.tenantId === 'config',
      );
      expect(numberingV1.NumberConfigured.decode(configured[0]!.payload).changedFields.sort()).toEqual([
        'callerId',
        'forwardingTarget',
        'friendlyName',
      ]);
      const bad = await expectStatus(
        call(
          client,
          client.updateNumber,
          { numberId: number.id, patch: { forwardingTarget: '0800 CALL ME' } },
          await asTenant('config'),
        ),
        status.INVALID_ARGUMENT,
        'NUMBERING_INVALID_REQUEST',
      );
      expect(bad.fieldViolations.map((v) => v.field)).toEqual(['forwardingTarget']);
      expect(bad.message).not.toContain('0800');
      // A voice-only number cannot take a messaging webhook, and is not listed among sms numbers.
      const voiceOnly = await ordinary('config', { areaCode: '305', capabilities: ['voice'] });
      const voice = await owned('config', voiceOnly.phoneNumber);
      await expectStatus(
        call(
          client,
          client.updateNumber,
          { numberId: voice.id, patch: { messagingWebhookUrl: 'https://example.com/in' } },
          await asTenant('config'),
        ),
        status.FAILED_PRECONDITION,
        'CAPABILITY_MISSING',
      );
      const smsNumbers = await call(
        client,
        client.listNumbers,
        { pageSize: 10, pageToken: '', capability: 'sms', status: '', country: '', accountId: '' },
        await asTenant('config'),
      );
      expect(smsNumbers.numbers.map((n) => n.e164)).toEqual([number.e164]);
      // Another tenant sees nothing of it.
      await expectStatus(
        call(client, client.getNumber, { numberId: number.id }, await asTenant('config-other')),
        status.NOT_FOUND,
        'NUMBER_NOT_FOUND',
      );
      await expectStatus(
        call(
          client,
          client.updateNumber,
          { numberId: number.id, patch: { friendlyName: 'x' } },
          await asTenant('config-other'),
        ),
        status.NOT_FOUND,
        'NUMBER_NOT_FOUND',
      );
    });
  });

  describe('NumberingService/ReleaseNumber', () => {
    it('quarantines a released number: nobody else can buy it, its tenant can take it back', async () => {
      const found = await ordinary('releaser', { areaCode: '206' });
      const number = await owned('releaser', found.phoneNumber);
      const releasedBefore = (await carrier.counters()).numbersReleased ?? 0;
      const { number: released } = await call(
        client,
        client.releaseNumber,
        { numberId: number.id },
        await asTenant('releaser'),
      );
      expect(released!.status).toBe('quarantined');
      const days = (released!.quarantineUntil!.getTime() - Date.now()) / 86_400_000;
      expect(Math.round(days)).toBe(30);
      await expectStatus(
        call(client, client.resolveNumber, { phoneNumber: number.e164 }, await as('', ['internal'])),
        status.NOT_FOUND,
        'NUMBER_NOT_FOUND',
      );
      await expectStatus(buy('intruder', number.e164), status.ALREADY_EXISTS, 'NUMBER_IN_QUARANTINE');
      const searched = await search('intruder', { areaCode: '206', limit: 100 });
      expect(searched.numbers.map((n) => n.phoneNumber)).not.toContain(number.e164);
      const events = (await publishedEvents()).filter((e) => e.tenantId === 'releaser').map((e) => e.type);
      expect(events).toContain('numbering.number.released');
      await eventually('the supplier to have it back', async () => {
        if (((await carrier.counters()).numbersReleased ?? 0) <= releasedBefore) throw new Error('not yet');
      });
      const back = await buy('releaser', number.e164, randomUUID());
      const done = await settled('releaser', back.id);
      expect(done).toMatchObject({ status: 'active', numberId: number.id });
    });
  });

  describe('NumberingService/CreatePortIn', () => {
    const portIn = (phoneNumbers: string[], extra: Partial<numberingV1.CreatePortInRequest> = {}) => ({
      phoneNumbers,
      losingCarrier: 'Old Telco',
      accountNumber: 'A-1001',
      pin: '1234',
      authorizedName: 'Ada Lovelace',
      address: {
        line1: '1 Main St',
        line2: '',
        city: 'Springfield',
        region: 'IL',
        postalCode: '62701',
        country: 'US',
      },
      requestedDate: new Date(Date.now() + 7 * 86_400_000),
      documents: [{ kind: 'bill', fileName: 'bill.pdf', sizeBytes: '1024' }],
      accountId: 'acct-port',
      draft: false,
      ...extra,
    });

    it('moves through its states to ported, and the numbers become active and resolvable', async () => {
      const { portIn: created } = await call(
        client,
        client.createPortIn,
        portIn(['+13125550101']),
        await asTenant('porter', randomUUID()),
      );
      expect(created!.status).toBe('draft');
      const seen = new Set<string>();
      const done = await eventually(
        'the port-in to finish',
        async () => {
          const { portIn: current } = await call(
            client,
            client.getPortIn,
            { portInId: created!.id },
            await asTenant('porter'),
          );
          seen.add(current!.status);
          if (current!.status !== 'ported') throw new Error(current!.status);
          return current!;
        },
        30_000,
      );
      expect(done.focDate).toBeDefined();
      expect(seen.has('ported')).toBe(true);
      const resolved = await call(
        client,
        client.resolveNumber,
        { phoneNumber: '+13125550101' },
        await as('', ['internal']),
      );
      expect(resolved).toMatchObject({ tenantId: 'porter', accountId: 'acct-port' });
      expect(await routingAtSupplier('+13125550101')).toEqual({ messagingRoute: 'parley' });
      const { numbers } = await call(
        client,
        client.listAccountNumbers,
        { accountId: 'acct-port' },
        await as('porter', ['internal']),
      );
      expect(numbers.map((n) => n.e164)).toEqual(['+13125550101']);
      const assigned = (await publishedEvents()).filter(
        (event) => event.type === 'numbering.number.assigned' && event.tenantId === 'porter',
      );
      expect(numberingV1.NumberAssigned.decode(assigned[0]!.payload)).toMatchObject({
        e164: '+13125550101',
        source: 'port_in',
        sourceId: created!.id,
      });
      const stored = await withTenant(service.app.runtime.db, 'porter', (tx) =>
        tx.execute<{ pin: string | null }>(sql`select pin from port_ins`),
      );
      expect(stored.rows).toEqual([{ pin: null }]);
    });

    it('ends in exception with the reason on a wrong PIN, and refuses bad input naming the fields', async () => {
      const { portIn: created } = await call(
        client,
        client.createPortIn,
        portIn(['+13125550102'], { pin: '0000' }),
        await asTenant('porter-2'),
      );
      const done = await eventually('the exception', async () => {
        const { portIn: current } = await call(
          client,
          client.getPortIn,
          { portInId: created!.id },
          await asTenant('porter-2'),
        );
        if (current!.status !== 'exception') throw new Error(current!.status);
        return current!;
      });
      expect(done.exceptionReason).toBe('pin_mismatch');
      const bad = await expectStatus(
        call(client, client.createPortIn, portIn(['12'], { authorizedName: '' }), await asTenant('porter-2')),
        status.INVALID_ARGUMENT,
        'NUMBERING_INVALID_REQUEST',
      );
      expect(bad.fieldViolations.map((v) => v.field).sort()).toEqual(['authorizedName', 'phoneNumbers[0]']);
    });

    it('submits a draft, which then ports like any other', async () => {
      const { portIn: draft } = await call(
        client,
        client.createPortIn,
        portIn(['+13125550104'], { draft: true }),
        await asTenant('porter-4'),
      );
      expect(draft!.status).toBe('draft');
      const { portIn: submitted } = await call(
        client,
        client.submitPortIn,
        { portInId: draft!.id },
        await asTenant('porter-4'),
      );
      expect(submitted!.id).toBe(draft!.id);
      await eventually(
        'the draft to be ported',
        async () => {
          const { portIn: current } = await call(
            client,
            client.getPortIn,
            { portInId: draft!.id },
            await asTenant('porter-4'),
          );
          if (current!.status !== 'ported') throw new Error(current!.status);
        },
        30_000,
      );
      await expectStatus(
        call(client, client.submitPortIn, { portInId: draft!.id }, await asTenant('porter-4')),
        status.FAILED_PRECONDITION,
        'PORT_IN_NOT_SUBMITTABLE',
      );
    });

    it('cancels a draft, and refuses to cancel a ported one', async () => {
      const { portIn: draft } = await call(
        client,
        client.createPortIn,
        portIn(['+13125550103'], { draft: true }),
        await asTenant('porter-3'),
      );
      const { portIn: cancelled } = await call(
        client,
        client.cancelPortIn,
        { portInId: draft!.id },
        await asTenant('porter-3'),
      );
      expect(cancelled!.status).toBe('cancelled');
      const ported = await withTenant(service.app.runtime.db, 'porter', (tx) =>
        tx.execute<{ id: string }>(sql`select id from port_ins where status = 'ported'`),
      );
      await expectStatus(
        call(client, client.cancelPortIn, { portInId: ported.rows[0]!.id }, await asTenant('porter')),
        status.FAILED_PRECONDITION,
        'PORT_IN_NOT_CANCELLABLE',
      );
    });
  });

  describe('tenant walls (row-level security)', () => {
    it('covers every tenant table, and holds against hand-written SQL', async () => {
      const db = service.app.runtime.db;
      expect(await expectEveryTenantTableWalled(db)).toEqual([
        'number_directory',
        'number_orders',
        'numbers',
        'offers',
        'port_ins',
        'reservations',
        'tenant_settings',
      ]);
      let sequence = 0;
      await expectTenantWall(db, {
        table: 'number_orders',
        insert: (tenantId) => {
          sequence += 1;
          return sql`insert into number_orders (id, tenant_id, e164, status)
                     values (${randomUUID()}, ${tenantId}, ${`+1555000${String(1000 + sequence)}`}, 'pending')`;
        },
      });
      // The directory is readable by all (it answers who holds a number) but written only by its holder.
      const [a] = (
        await db.execute<{ e164: string; tenant_id: string }>(
          sql`select e164, tenant_id from number_directory limit 1`,
        )
      ).rows;
      const changed = await withTenant(db, 'someone-else', (tx) =>
        tx.execute(sql`update number_directory set tenant_id = 'someone-else' where e164 = ${a!.e164}`),
      );
      expect(changed.rowCount).toBe(0);
      const deleted = await withTenant(db, 'someone-else', (tx) =>
        tx.execute(sql`delete from number_directory where e164 = ${a!.e164}`),
      );
      expect(deleted.rowCount).toBe(0);
    });
  });
});
