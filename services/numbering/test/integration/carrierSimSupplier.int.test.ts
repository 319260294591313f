// The carrier simulator's adapter against the simulator running as its own process: every answer and
// every failure the simulator can give comes out as the NumberSupplier contract says.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startCarrierSim, type CarrierSimHandle } from '../../../../tests/support/carrierSim';
import { SupplierError, type NumberSupplier, type SupplierOrder } from '../../src/domain/supplier';
import { makeSupplier } from '../../src/supplier';

const reference = () => randomUUID();

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
    supplier = makeSupplier({
      NUMBER_SUPPLIER: 'carrier-sim',
      NUMBER_SUPPLIER_URL: carrier.url,
      NUMBER_SUPPLIER_API_KEY: carrier.apiKey,
      NUMBER_SUPPLIER_TIMEOUT_MS: 1_000,
    });
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

  describe('authentication', () => {
    it('turns a wrong API key into unavailable (an operator must fix the key; the caller did nothing wrong)', async () => {
      const wrong = makeSupplier({
        NUMBER_SUPPLIER: 'carrier-sim',
        NUMBER_SUPPLIER_URL: carrier.url,
        NUMBER_SUPPLIER_API_KEY: 'not-the-key',
        NUMBER_SUPPLIER_TIMEOUT_MS: 1_000,
      });
      const error = await supplierError(wrong.search({ country: 'US', capabilities: [], limit: 1 }));
      expect(error).toMatchObject({ kind: 'unavailable', code: 'unauthorized' });
    });
  });
});
