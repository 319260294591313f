// The carrier simulator's adapter against the simulator running as its own process: every answer and
// every failure the simulator can give comes out as the NumberSupplier contract says.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallback } from '@parley/carrier-sim';
import { startCarrierSim, type CarrierSimHandle } from '../../../../tests/support/carrierSim';
import {
  SupplierError,
  type NumberSupplier,
  type SupplierOrder,
  type SupplierPortIn,
  type SupplierPortInRequest,
} from '../../src/domain/supplier';
import { makeSupplier } from '../../src/supplier';

const reference = () => randomUUID();
/** The adapter as numbering's config makes it, for a supplier at `url`. */
const supplierAt = (url: string, apiKey: string, timeoutMs = 1_000) =>
  makeSupplier({
    NUMBER_SUPPLIER: 'carrier-sim',
    NUMBER_SUPPLIER_URL: url,
    NUMBER_SUPPLIER_API_KEY: apiKey,
    NUMBER_SUPPLIER_TIMEOUT_MS: timeoutMs,
  });

async function supplierError(promise: Promise<unknown>): Promise<SupplierError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SupplierError);
    return error as SupplierError;
  }
  throw new Error('expected a SupplierError');
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('numbering: CarrierSimSupplier against the carrier simulator', () => {
  let carrier: CarrierSimHandle;
  let supplier: NumberSupplier;

  beforeAll(async () => {
    carrier = await startCarrierSim({ orderDelayMs: 100, portStepMs: 100, holdMs: 10_000 });
    supplier = supplierAt(carrier.url, carrier.apiKey);
  });

  afterAll(async () => {
    await carrier?.stop();
  });

  describe('search', () => {
    it('finds numbers in an area code with every capability asked for, priced in the supplier currency', async () => {
      const found = await supplier.search({
        country: 'US',
        areaCode: '415',
        type: 'local',
        capabilities: ['sms', 'voice'],
        limit: 5,
      });
      expect(found).toHaveLength(5);
      for (const number of found) {
        expect(number.phoneNumber).toMatch(/^\+1415[2-9]\d{6}$/);
        expect(number).toMatchObject({
          country: 'US',
          areaCode: '415',
          locality: 'San Francisco',
          type: 'local',
        });
        expect(number.capabilities).toEqual(expect.arrayContaining(['sms', 'voice']));
        expect(number.monthlyPrice).toEqual({ amount: '1.15', currency: 'USD' });
      }
    });

    it('matches `contains` with * wildcards anywhere in the national number', async () => {
      const found = await supplier.search({ country: 'GB', capabilities: [], contains: '7*0', limit: 100 });
      expect(found.length).toBeGreaterThan(0);
      for (const number of found) expect(number.phoneNumber.slice(3)).toMatch(/7\d0/);
    });

    it('leaves out numbers without a required capability', async () => {
      const found = await supplier.search({
        country: 'US',
        areaCode: '305',
        capabilities: ['sms'],
        limit: 10,
      });
      expect(found).toEqual([]);
    });
  });

  describe('order', () => {
    it('places an order that completes asynchronously; the same reference is the same order', async () => {
      const [number] = await supplier.search({
        country: 'KE',
        type: 'mobile',
        capabilities: ['sms'],
        limit: 1,
      });
      const ref = reference();
      const placed = await supplier.order([number!.phoneNumber], ref);
      expect(placed).toMatchObject({ status: 'pending', phoneNumbers: [number!.phoneNumber] });
      const again = await supplier.order([number!.phoneNumber], ref);
      expect(again.id).toBe(placed.id);
      const done = await until(
        () => supplier.getOrder(placed.id),
        (order: SupplierOrder) => order.status !== 'pending',
      );
      expect(done.status).toBe('completed');
      const counters = await carrier.counters();
      expect(counters.ordersPlaced).toBe(1);
      expect(counters.numbersSold).toBe(1);
    });
  });

  describe('after numbering restarts', () => {
    it('a new adapter asking again with the same reference gets the same order, which completes once', async () => {
      const number = await findOne('KE', '41');
      const ref = reference();
      const before = await supplier.order([number], ref);
      // What a restarted numbering has: nothing in memory, only its own reference and the order id.
      const restarted = supplierAt(carrier.url, carrier.apiKey);
      const again = await restarted.order([number], ref);
      expect(again.id).toBe(before.id);
      expect(
        (
          await until(
            () => restarted.getOrder(before.id),
            (order) => order.status !== 'pending',
          )
        ).status,
      ).toBe('completed');
      const counters = await carrier.counters();
      expect(counters.orderReplays).toBeGreaterThanOrEqual(1);
      expect(await supplierError(restarted.order([number], reference()))).toMatchObject({
        kind: 'number_unavailable',
      });
    });
  });

  describe('authentication', () => {
    it('turns a wrong API key into unavailable (an operator must fix the key; the caller did nothing wrong)', async () => {
      const wrong = supplierAt(carrier.url, 'not-the-key');
      const error = await supplierError(wrong.search({ country: 'US', capabilities: [], limit: 1 }));
      expect(error).toMatchObject({ kind: 'unavailable', code: 'unauthorized' });
    });
  });

  const findOne = async (country: string, contains?: string) => {
    const [number] = await supplier.search({ country, capabilities: [], contains, limit: 1 });
    if (!number) throw new Error(`no number in ${country} matching ${contains}`);
    return number.phoneNumber;
  };
  const magic = (suffix: string) => findOne('US', `415***${suffix}`);
  const settled = (orderId: string) =>
    until(
      () => supplier.getOrder(orderId),
      (order: SupplierOrder) => order.status !== 'pending',
    );

  describe('reservations', () => {
    it('holds numbers out of search until ordered with the reservation', async () => {
      const numbers = (
        await supplier.search({ country: 'DE', type: 'mobile', capabilities: [], limit: 2 })
      ).map((number) => number.phoneNumber);
      const reservation = await supplier.reserve(numbers, 600, reference());
      expect(reservation.phoneNumbers).toEqual(numbers);
      expect(reservation.expiresAt.getTime()).toBeGreaterThan(Date.now());
      const visible = await supplier.search({
        country: 'DE',
        capabilities: [],
        contains: numbers[0]!.slice(3),
        limit: 5,
      });
      expect(visible.map((number) => number.phoneNumber)).not.toContain(numbers[0]);
      const order = await supplier.order(numbers, reference(), reservation.id);
      expect((await settled(order.id)).status).toBe('completed');
    });

    it('answers reservation_expired for an order made with a reservation past its TTL', async () => {
      const number = await findOne('FR');
      const reservation = await supplier.reserve([number], 1, reference());
      await new Promise((resolve) => setTimeout(resolve, reservation.expiresAt.getTime() - Date.now() + 50));
      const error = await supplierError(supplier.order([number], reference(), reservation.id));
      expect(error).toMatchObject({ kind: 'reservation_expired', code: 'reservation_expired' });
    });
  });

  describe('magic numbers', () => {
    it('…9990: the order is accepted, then fails with carrier_rejected, and the number is for sale again', async () => {
      const number = await magic('9990');
      const order = await supplier.order([number], reference());
      expect(order.status).toBe('pending');
      const failed = await settled(order.id);
      expect(failed).toMatchObject({ status: 'failed', failureReason: 'carrier_rejected' });
      expect(await magic('9990')).toBe(number);
    });

    it('…9991: appears in search, but another buyer takes it on reserve and on order', async () => {
      const number = await magic('9991');
      expect(await supplierError(supplier.reserve([number], 60, reference()))).toMatchObject({
        kind: 'number_unavailable',
      });
      expect(await supplierError(supplier.order([number], reference()))).toMatchObject({
        kind: 'number_unavailable',
      });
    });

    it('…9992: the supplier never answers within the timeout, which is unavailable', async () => {
      const number = await magic('9992');
      expect(await supplierError(supplier.order([number], reference()))).toMatchObject({
        kind: 'unavailable',
        code: 'timeout',
      });
      expect(await supplierError(supplier.reserve([number], 60, reference()))).toMatchObject({
        kind: 'unavailable',
        code: 'timeout',
      });
    });
  });

  describe('errors', () => {
    it('answers number_unavailable for a number already sold', async () => {
      const number = await findOne('CA');
      const order = await supplier.order([number], reference());
      await settled(order.id);
      expect(await supplierError(supplier.order([number], reference()))).toMatchObject({
        kind: 'number_unavailable',
      });
    });

    it('rejects a reference reused for other numbers, and a country the supplier does not serve', async () => {
      const [first, second] = (
        await supplier.search({ country: 'GB', type: 'mobile', capabilities: [], limit: 2 })
      ).map((number) => number.phoneNumber);
      const ref = reference();
      await supplier.order([first!], ref);
      expect(await supplierError(supplier.order([second!], ref))).toMatchObject({
        kind: 'rejected',
        code: 'reference_conflict',
      });
      expect(
        await supplierError(supplier.search({ country: 'IT', capabilities: [], limit: 1 })),
      ).toMatchObject({
        kind: 'rejected',
        code: 'country_not_supported',
      });
    });

    it('answers not_found for an unknown order and for routing a number the account does not hold', async () => {
      expect(await supplierError(supplier.getOrder('ord_unknown'))).toMatchObject({ kind: 'not_found' });
      expect(
        await supplierError(supplier.configureRouting(await findOne('KE'), { voiceRoute: 'trunk-a' })),
      ).toMatchObject({
        kind: 'not_found',
      });
    });

    it('answers unavailable when nothing listens at the supplier URL', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const gone = supplierAt(`http://127.0.0.1:${port}`, carrier.apiKey);
      expect(await supplierError(gone.getOrder('ord_x'))).toMatchObject({
        kind: 'unavailable',
        code: 'connection_failed',
      });
    });

    it('answers unavailable when the supplier says something that is not its API', async () => {
      const impostor = createServer((_request, response) => {
        response.setHeader('content-type', 'text/html');
        response.end('<html>maintenance</html>');
      });
      await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
      const { port } = impostor.address() as AddressInfo;
      try {
        const confused = supplierAt(`http://127.0.0.1:${port}`, carrier.apiKey);
        expect(await supplierError(confused.getOrder('ord_x'))).toMatchObject({
          kind: 'unavailable',
          code: 'bad_response',
        });
      } finally {
        await new Promise((resolve) => impostor.close(resolve));
      }
    });
  });

  describe('release and routing', () => {
    it('routes an owned number, releases it back to the inventory, and a second release succeeds', async () => {
      const number = await findOne('US', '512');
      await settled((await supplier.order([number], reference())).id);
      await supplier.configureRouting(number, {
        messagingRoute: 'smpp-a',
        voiceRoute: 'sip:trunk@example.net',
      });
      await supplier.release(number);
      await supplier.release(number);
      const again = await supplier.search({
        country: 'US',
        capabilities: [],
        contains: number.slice(2),
        limit: 1,
      });
      expect(again.map((found) => found.phoneNumber)).toEqual([number]);
      expect((await carrier.counters()).numbersReleased).toBeGreaterThanOrEqual(1);
    });
  });

  describe('throttling', () => {
    it('turns 429 into unavailable with the Retry-After the carrier sent', async () => {
      const throttled = await startCarrierSim({ env: { CARRIER_SIM_RATE_LIMIT_PER_SECOND: '2' } });
      try {
        const busy = supplierAt(throttled.url, throttled.apiKey, 5_000);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 8 }, () => busy.search({ country: 'US', capabilities: [], limit: 1 })),
        );
        const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
        expect(refused.length).toBeGreaterThan(0);
        for (const outcome of refused)
          expect((outcome as PromiseRejectedResult).reason).toMatchObject({
            kind: 'unavailable',
            code: 'rate_limited',
            retryAfterSeconds: 1,
          });
        expect((await throttled.counters()).throttled).toBe(refused.length);
      } finally {
        await throttled.stop();
      }
    });
  });

  describe('outage', () => {
    it('answers unavailable with Retry-After, and an order placed before completes once it ends', async () => {
      const number = await findOne('GB', '161');
      const order = await supplier.order([number], reference());
      await carrier.outage(30);
      try {
        const error = await supplierError(supplier.getOrder(order.id));
        expect(error.kind).toBe('unavailable');
        expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(29);
        expect(error.retryAfterSeconds).toBeLessThanOrEqual(30);
        // Nothing moves on while the carrier is down, however long its order delay has passed.
        const completedBefore = (await carrier.counters()).ordersCompleted ?? 0;
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect((await carrier.counters()).ordersCompleted ?? 0).toBe(completedBefore);
      } finally {
        await carrier.clearOutage();
      }
      expect((await settled(order.id)).status).toBe('completed');
    });
  });

  describe('port-in', () => {
    let portedNumbers = 0;
    const request = (overrides: Partial<SupplierPortInRequest> = {}): SupplierPortInRequest => ({
      phoneNumbers: [`+1206555${String(1000 + (portedNumbers += 1))}`],
      losingCarrier: 'Old Telco',
      accountNumber: 'ACC-1',
      pin: '4321',
      authorizedName: 'Jane Example',
      address: { line1: '1 Main St', city: 'Seattle', region: 'WA', postalCode: '98101', country: 'US' },
      requestedDate: new Date(Date.now() + 7 * 86_400_000),
      reference: reference(),
      ...overrides,
    });
    const finished = (id: string, status: SupplierPortIn['status']) =>
      until(
        () => supplier.getPortIn(id),
        (portIn: SupplierPortIn) => portIn.status === status || portIn.status === 'ported',
      );

    it('moves submitted → foc_date_confirmed → activating → ported on the requested date, and the number is owned', async () => {
      const wanted = request();
      const submitted = await supplier.submitPortIn(wanted);
      expect(submitted.status).toBe('submitted');
      expect((await supplier.submitPortIn(wanted)).id).toBe(submitted.id);
      const ported = await finished(submitted.id, 'ported');
      expect(ported.status).toBe('ported');
      expect(ported.focDate?.toISOString().slice(0, 10)).toBe(
        wanted.requestedDate.toISOString().slice(0, 10),
      );
      await supplier.configureRouting(wanted.phoneNumbers[0]!, { voiceRoute: 'trunk-b' });
      expect(await supplierError(supplier.cancelPortIn(submitted.id))).toMatchObject({
        kind: 'rejected',
        code: 'port_in_not_cancellable',
      });
    });

    it('goes to exception with pin_mismatch for PIN 0000, and may still be cancelled', async () => {
      const submitted = await supplier.submitPortIn(request({ pin: '0000' }));
      const exception = await finished(submitted.id, 'exception');
      expect(exception).toMatchObject({ status: 'exception', exceptionReason: 'pin_mismatch' });
      expect(exception.focDate).toBeUndefined();
      expect((await supplier.cancelPortIn(submitted.id)).status).toBe('cancelled');
    });

    it('goes to exception with name_mismatch for the authorised name "Mismatch Name"', async () => {
      const submitted = await supplier.submitPortIn(request({ authorizedName: 'Mismatch Name' }));
      expect(await finished(submitted.id, 'exception')).toMatchObject({
        status: 'exception',
        exceptionReason: 'name_mismatch',
      });
    });
  });

  describe('signed callbacks', () => {
    interface Received {
      body: string;
      headers: Record<string, string | string[] | undefined>;
    }
    let received: Received[];
    let receiver: Server;
    let callbackUrl: string;

    beforeAll(async () => {
      received = [];
      receiver = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          received.push({ body, headers: request.headers });
          response.statusCode = 204;
          response.end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/carrier`;
    });

    afterAll(async () => {
      await new Promise((resolve) => receiver?.close(resolve));
    });

    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${carrier.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${carrier.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(202);
      return ((await response.json()) as { data: { id: string } }).data;
    };
    const verified = (entry: Received) => verifyCallback(callbackParts(entry));
    const callbacksFor = (id: string) =>
      received.filter((entry) => (JSON.parse(entry.body) as { data: { id: string } }).data.id === id);

    it('signs the order callback with HMAC-SHA256 over timestamp and body, verifiable with the secret only', async () => {
      const number = await findOne('US', '206');
      const order = await post('/v1/orders', { phoneNumbers: [number], reference: reference(), callbackUrl });
      // Generous: once in a full run on the loaded 2-core machine no callback arrived within 15 s.
      const [callback] = await until(
        async () => callbacksFor(order.id),
        (list) => list.length > 0,
        45_000,
      );
      if (!callback) {
        // Seen once in CI and never since: say whether the order finished and the simulator gave up.
        const { status } = await supplier.getOrder(order.id);
        const counters = await carrier.counters();
        throw new Error(
          `no callback within 45 s: order ${status}, callbacks delivered ${counters.callbacksDelivered ?? 0}, failed ${counters.callbacksFailed ?? 0}, received here ${received.length}`,
        );
      }
      expect(JSON.parse(callback!.body)).toMatchObject({
        type: 'order.completed',
        data: { id: order.id, status: 'completed', phoneNumbers: [number] },
      });
      expect(verified(callback!)).toBe(true);
      expect(verifyCallback({ ...callbackParts(callback!), secret: 'someone-elses-secret-000' })).toBe(false);
      expect(
        verifyCallback({ ...callbackParts(callback!), body: callback!.body.replace('completed', 'failed') }),
      ).toBe(false);
    });

    it('calls back on every port-in state change, in order, without the personal data of the request', async () => {
      const portIn = await post('/v1/port-ins', {
        phoneNumbers: ['+13125550177'],
        losingCarrier: 'Old Telco',
        accountNumber: 'ACC-9',
        pin: '2468',
        authorizedName: 'Jane Example',
        address: { line1: '1 Main St', city: 'Chicago', postalCode: '60601', country: 'US' },
        requestedDate: '2030-01-15',
        reference: reference(),
        callbackUrl,
      });
      const callbacks = await until(
        async () => callbacksFor(portIn.id),
        (list) => list.length >= 3,
      );
      const statuses = callbacks.map(
        (entry) => (JSON.parse(entry.body) as { data: { status: string } }).data.status,
      );
      expect(statuses).toEqual(['foc_date_confirmed', 'activating', 'ported']);
      for (const entry of callbacks) {
        expect(verified(entry)).toBe(true);
        expect(entry.body).not.toMatch(/Jane Example|Main St|ACC-9|2468/);
      }
    });

    function callbackParts(entry: Received) {
      return {
        secret: carrier.callbackSecret,
        body: entry.body,
        timestamp: entry.headers[TIMESTAMP_HEADER] as string,
        signature: entry.headers[SIGNATURE_HEADER] as string,
      };
    }
  });
});
