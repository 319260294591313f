import { expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { CallArgs, gatewayCall } from './http';

type Api = (...args: CallArgs) => ReturnType<typeof gatewayCall>;

/**
 * Buys an ordinary San Francisco number (none of the simulator's magic endings, none in `taken`) through
 * the gateway and waits until its order is active; answers the number.
 */
export async function buyNumberThroughGateway(
  api: Api,
  apiKey: string,
  taken: ReadonlySet<string> = new Set(),
): Promise<string> {
  const found = await api(
    'GET',
    '/v1/available-numbers?country=US&areaCode=415&capabilities=sms&limit=20',
    apiKey,
  );
  expect(found.status).toBe(200);
  const numbers = found.body.numbers as { phoneNumber: string }[];
  const pick = numbers.find(
    (number) => !/99[89]\d$/.test(number.phoneNumber) && !taken.has(number.phoneNumber),
  )!;
  const bought = await api(
    'POST',
    '/v1/numbers',
    apiKey,
    { phoneNumber: pick.phoneNumber },
    { 'idempotency-key': randomUUID() },
  );
  expect(bought.status).toBe(202);
  let order = bought.body;
  const orderDeadline = Date.now() + 30_000;
  while (order.status === 'pending' && Date.now() < orderDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    order = (await api('GET', `/v1/number-orders/${String(bought.body.id)}`, apiKey)).body;
  }
  expect(order.status).toBe('active');
  return pick.phoneNumber;
}
