// A numbering process SIGKILLed while an order is in flight: the order is neither lost nor placed twice.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { numberingV1 } from '@parley/proto';
import { freePort } from '../../../../tools/dev/src/ports';
import { as } from '../../../../tests/support/callers';
import { startCarrierSim, type CarrierSimHandle } from '../../../../tests/support/carrierSim';
import { eventually } from '../../../../tests/support/grpc';
import { ServiceProcesses } from '../../../../tests/support/serviceProcess';
import { uniquePrefix } from '../../../../tests/support/infra';

describe('numbering: SIGKILL while an order is in flight', () => {
  let carrier: CarrierSimHandle;
  const numbering = new ServiceProcesses('numbering', uniquePrefix('numbering-crash'));

  beforeAll(async () => {
    // Orders stay pending at the supplier long enough to kill the process in the middle.
    carrier = await startCarrierSim({ orderDelayMs: 2_000 });
    await numbering.open();
  });

  afterAll(async () => {
    await numbering.close();
    await carrier?.stop();
  });

  const startNumbering = (port: number) => numbering.start(port, carrier.env);

  it('completes the order after a restart, placed once at the supplier, for the same request', async () => {
    const port = await freePort();
    const first = await startNumbering(port);
    const client = createClient(numberingV1.NumberingServiceClient, `127.0.0.1:${port}`, {
      serviceName: 'parley.numbering.v1.NumberingService',
    });
    try {
      const { numbers } = await call(
        client,
        client.searchAvailableNumbers,
        { country: 'US', areaCode: '512', type: '', capabilities: ['sms'], contains: '', limit: 20 },
        { ...(await as('crash')), timeoutMs: 10_000 },
      );
      const phoneNumber = numbers.find((n) => !/999[0-2]$/.test(n.phoneNumber))!.phoneNumber;
      const requestId = randomUUID();
      const withRequestId = async () => {
        const options = await as('crash');
        options.metadata.set('parley-request-id', requestId);
        return { ...options, timeoutMs: 10_000 };
      };
      const { order } = await call(
        client,
        client.createNumberOrder,
        { phoneNumber, accountId: '' },
        await withRequestId(),
      );
      // Killed once the supplier has the order, while it is still pending there.
      await eventually('the order to be placed at the supplier', async () => {
        const placed = await withTenant(numbering.db, 'crash', (tx) =>
          tx.execute<{ id: string }>(sql`select id from number_orders where supplier_order_id is not null`),
        );
        if (placed.rows.length === 0) throw new Error('not yet');
      });
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));

      await startNumbering(port);
      const { order: retried } = await call(
        client,
        client.createNumberOrder,
        { phoneNumber, accountId: '' },
        await withRequestId(),
      );
      expect(retried!.id).toBe(order!.id);
      const done = await eventually(
        'the order to complete',
        async () => {
          const { order: current } = await call(
            client,
            client.getNumberOrder,
            { orderId: order!.id },
            await as('crash'),
          );
          if (current!.status === 'pending') throw new Error('pending');
          return current!;
        },
        150_000,
      );
      expect(done.status).toBe('active');
      const counters = await carrier.counters();
      expect(counters.ordersPlaced).toBe(1);
      expect(counters.numbersSold).toBe(1);
      const rows = await withTenant(numbering.db, 'crash', (tx) =>
        tx.execute<{ n: number }>(sql`select count(*)::int as n from numbers where e164 = ${phoneNumber}`),
      );
      expect(rows.rows[0]!.n).toBe(1);
    } finally {
      client.close();
    }
  }, 200_000);
});
