// `npm run bench:messaging` (skeleton): messages through the gateway of a running `npm start`, to the
// carrier simulator's SMSC over SMPP and back as delivery receipts. Start the platform with pacing and rate
// limits out of the way and the simulator's latency at 20 ms, then run this:
//
//   SENDER_RATES=long_code:100000 RATE_LIMIT_PER_PRINCIPAL=0 RATE_LIMIT_PER_TENANT=0 \
//     CARRIER_SIM_SMPP_LATENCY_MS=20 CARRIER_SIM_SMPP_MAX_TPS=0 npm start
//   npm run bench:messaging -- --messages 2000 --concurrency 64
//
// It prints accepted/s at the gateway, sent/s (the carrier answered submit_sm), delivered/s (receipts
// applied) and the accept-to-delivered latency, from each message's own status history.
// Not yet: the simulator's own submit counters, several sender numbers, a run of its own infrastructure.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { latencySummary } from './stats';

interface Dev {
  gatewayUrl: string;
  apiKey: string;
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    messages: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    home: {
      type: 'string',
      default: process.env.PARLEY_HOME || join(__dirname, '..', '..', '..', '.parley'),
    },
    'max-seconds': { type: 'string', default: '300' },
  },
});
const messages = Number(values.messages);
const concurrency = Number(values.concurrency);
const maxSeconds = Number(values['max-seconds']);
const dev = JSON.parse(readFileSync(join(values.home!, 'dev.json'), 'utf8')) as Dev;

async function api(method: string, path: string, body?: unknown, key = randomUUID()) {
  const response = await fetch(`${dev.gatewayUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${dev.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': key }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${String(json.code)}`);
  return json;
}

/** A number of the demo tenant to send from, bought for this run. */
async function senderNumber(): Promise<string> {
  const found = await api('GET', '/v1/available-numbers?country=US&areaCode=415&capabilities=sms&limit=50');
  const pick = (found.numbers as { phoneNumber: string }[]).find((n) => !/99[89]\d$/.test(n.phoneNumber))!;
  const order = await api('POST', '/v1/numbers', { phoneNumber: pick.phoneNumber });
  for (let waited = 0; waited < 60_000; waited += 250) {
    const current = await api('GET', `/v1/number-orders/${String(order.id)}`);
    if (current.status === 'active') return pick.phoneNumber;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the number did not become active');
}

async function main() {
  const from = await senderNumber();
  const ids: string[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < messages) {
        const index = next++;
        const sent = await api('POST', '/v1/messages', {
          from,
          to: `+4479112${String(index).padStart(5, '0')}`,
          body: `bench ${index}`,
        });
        ids.push(String(sent.id));
      }
    }),
  );
  const acceptSeconds = (performance.now() - started) / 1000;

  // Every message's history, once final (or until max-seconds).
  const histories = new Map<string, { status: string; at: string }[]>();
  const deadline = Date.now() + maxSeconds * 1000;
  while (histories.size < ids.length && Date.now() < deadline) {
    for (const id of ids) {
      if (histories.has(id)) continue;
      const message = await api('GET', `/v1/messages/${id}`);
      if (['delivered', 'undelivered', 'failed', 'expired'].includes(String(message.status)))
        histories.set(id, message.history as { status: string; at: string }[]);
    }
  }
  const at = (history: { status: string; at: string }[], status: string) =>
    Date.parse(history.find((change) => change.status === status)?.at ?? '');
  const all = [...histories.values()];
  const span = (status: string) => {
    const times = all.map((history) => at(history, status)).filter(Number.isFinite);
    const first = Math.min(...all.map((history) => at(history, 'queued')));
    return { count: times.length, perSecond: times.length / ((Math.max(...times) - first) / 1000) };
  };
  const sent = span('sent');
  const delivered = span('delivered');
  console.log(
    JSON.stringify(
      {
        messages,
        concurrency,
        acceptedPerSecond: Math.round(messages / acceptSeconds),
        sentPerSecond: Math.round(sent.perSecond),
        deliveredPerSecond: Math.round(delivered.perSecond),
        delivered: delivered.count,
        acceptToDeliveredMs: latencySummary(
          all.map((history) => at(history, 'delivered') - at(history, 'queued')).filter(Number.isFinite),
        ),
      },
      null,
      2,
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
