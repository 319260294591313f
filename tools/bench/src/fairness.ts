// `npm run bench:fairness` (scenario 2 of `npm run bench`): ten tenants on one platform started as `npm start`
// starts it; nine send at a steady rate, first alone, then while the tenth sends `--factor` times as much as
// each of them. Their accept and accept-to-sent p99 under the burst should stay within 2x of alone. See
// tools/bench/README.md.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChartSeries } from './chart';
import { messageTimes, type MessageTimes } from './messageTimes';
import { acceptedShot, epochMs, openLoop, type Shot } from './openLoop';
import {
  pause,
  postMessage,
  platformSettings,
  recipient,
  runOnPlatform,
  senderNumbers,
  UNPACED_ENV,
  type BenchPlatform,
  type Dev,
} from './platform';
import { round } from './raw';
import { budgetOptions, target, writeScenarioResults } from './scenario';
import { percentile } from './stats';

/** The nine's p99 under the burst may be at most this many times their p99 alone. */
const TARGET_RATIO = 2;
const SMALL_TENANTS = 9;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    rate: { type: 'string' },
    factor: { type: 'string', default: '20' },
    'phase-seconds': { type: 'string' },
    'latency-ms': { type: 'string', default: '20' },
    'max-seconds': { type: 'string' },
    out: { type: 'string', default: join(__dirname, '..', 'results', 'fairness.json') },
  },
});
const { quick, maxSeconds } = budgetOptions(values, 600, 360);
const settings = {
  quick,
  /** Sends per second of each of the nine. */
  rate: Number(values.rate ?? (quick ? 1 : 2)),
  factor: Number(values.factor),
  phaseSeconds: Number(values['phase-seconds'] ?? (quick ? 10 : 30)),
  smscLatencyMs: Number(values['latency-ms']),
  maxSeconds,
};
for (const [name, value] of Object.entries(settings))
  if (typeof value === 'number' && (!Number.isInteger(value) || value < 1))
    throw new Error(`${name}: a positive whole number is expected`);

/** Sender pacing and rate limits out of the way, the SMSC at 20 ms; the fairness settings are the platform's own. */
function platformEnv(): Record<string, string> {
  return platformSettings(
    {
      ...UNPACED_ENV,
      CARRIER_SIM_SMPP_LATENCY_MS: String(settings.smscLatencyMs),
      CARRIER_SIM_SMPP_MAX_TPS: '0',
    },
    ['SEND_CONCURRENCY', 'SEND_TENANT_CONCURRENCY', 'SMPP_WINDOW'],
  );
}

interface Tenant {
  id: string;
  apiKey: string;
  numbers: string[];
}

/** A tenant of its own through the admin API (as the e2e tests make one), with `numbers` numbers bought. */
async function createTenant(dev: Dev, id: string, numbers: number): Promise<Tenant> {
  const response = await fetch(`${dev.gatewayUrl}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${dev.adminApiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id, name: `Fairness ${id}`, tenancyMode: 'pooled', jurisdiction: 'other' }),
  });
  const created = (await response.json()) as { apiKey?: string; code?: string };
  if (response.status !== 201 || !created.apiKey)
    throw new Error(`POST /v1/tenants ${id}: ${response.status} ${created.code}`);
  return {
    id,
    apiKey: created.apiKey,
    numbers: await senderNumbers({ ...dev, apiKey: created.apiKey }, numbers),
  };
}

/** One send that must be accepted (its billing account opens from identity's event: retried until it is). */
async function firstSend(dev: Dev, tenant: Tenant, index: number, deadline: number) {
  for (;;) {
    const answer = await postMessage(dev.gatewayUrl, tenant.apiKey, {
      from: tenant.numbers[0]!,
      to: recipient(index),
      body: `fairness warm-up ${index}`,
    });
    if (answer.status === 202) return answer.id!;
    if (!(await pause(500, deadline)))
      throw new Error(`tenant ${tenant.id} could not send: ${answer.status} ${answer.code}`);
  }
}

/** `tenant` sends `perSecond` for `seconds`, after `delayMs`. */
async function load(
  dev: Dev,
  tenant: Tenant,
  perSecond: number,
  seconds: number,
  firstIndex: number,
  delayMs = 0,
): Promise<Shot[]> {
  await pause(delayMs);
  return openLoop({
    perSecond,
    durationMs: seconds * 1000,
    maxInFlight: 1000,
    firstIndex,
    fire: (index) =>
      postMessage(dev.gatewayUrl, tenant.apiKey, {
        from: tenant.numbers[index % tenant.numbers.length]!,
        to: recipient(index),
        body: `fairness ${index}`,
      }),
  });
}

/** Waits until every one of `ids` was sent (or is final), or the deadline. */
async function untilSent(platform: BenchPlatform, ids: string[], deadline: number) {
  for (;;) {
    const times = await messageTimes(platform, ids);
    const sent = [...times.values()].filter((message) => message.sent ?? message.delivered).length;
    if (sent >= ids.length || !(await pause(1_000, deadline))) return times;
  }
}

const p99 = (samples: number[]) =>
  round(
    percentile(
      [...samples].sort((a, b) => a - b),
      0.99,
    ) ?? Number.NaN,
    1,
  );

/** The nine's accept and accept-to-sent (queued to sent, PostgreSQL's clock) p99 in one phase. */
function phaseFigures(shots: Shot[], times: Map<string, MessageTimes>) {
  const accepted = shots.filter(acceptedShot);
  const toSent = accepted.flatMap((shot) => {
    const message = times.get(shot.id);
    const sent = message?.sent ?? message?.delivered;
    return message?.queued !== undefined && sent !== undefined ? [sent - message.queued] : [];
  });
  const refused: Record<string, number> = {};
  for (const shot of shots.filter((shot) => !acceptedShot(shot))) {
    const reason = `${shot.status} ${shot.code ?? ''}`.trim();
    refused[reason] = (refused[reason] ?? 0) + 1;
  }
  return {
    offered: shots.length,
    accepted: accepted.length,
    refused,
    sent: toSent.length,
    acceptP99Ms: p99(accepted.map((shot) => shot.doneAt - shot.dueAt)),
    acceptToSentP99Ms: p99(toSent),
  };
}

/** Messages sent per second (x: seconds from `started`). */
function sentPerSecond(
  label: string,
  shots: Shot[],
  times: Map<string, MessageTimes>,
  started: number,
): ChartSeries {
  const counts = new Map<number, number>();
  for (const shot of shots.filter(acceptedShot)) {
    const message = times.get(shot.id);
    const sent = message?.sent ?? message?.delivered;
    if (sent === undefined) continue;
    const second = Math.floor((sent - started) / 1000);
    counts.set(second, (counts.get(second) ?? 0) + 1);
  }
  const last = Math.max(0, ...counts.keys());
  return {
    label,
    unit: 'messages sent/s',
    xUnit: 's since the phase began',
    points: Array.from({ length: last + 1 }, (_, second) => [second, counts.get(second) ?? 0]),
  };
}

async function run(platform: BenchPlatform, deadline: number): Promise<number> {
  const { dev } = platform;
  console.log(`creating 1 + ${SMALL_TENANTS} tenants, each with its numbers`);
  const stamp = Date.now().toString(36);
  // One after the other: each buys from the numbers on offer, which a concurrent order would also pick.
  const big = await createTenant(dev, `fair-big-${stamp}`, 4);
  const small: Tenant[] = [];
  for (let index = 0; index < SMALL_TENANTS; index++)
    small.push(await createTenant(dev, `fair-${index}-${stamp}`, 1));
  const warmups = await Promise.all(
    [big, ...small].map((tenant, index) => firstSend(dev, tenant, 90_000 + index, deadline)),
  );
  await untilSent(platform, warmups, Math.min(deadline, Date.now() + 60_000));

  const nine = (firstIndex: number, delayMs = 0) =>
    Promise.all(
      small.map((tenant, index) =>
        load(dev, tenant, settings.rate, settings.phaseSeconds, firstIndex + index * 10_000, delayMs),
      ),
    ).then((loads) => loads.flat());

  console.log(`alone: ${SMALL_TENANTS} tenants at ${settings.rate}/s each for ${settings.phaseSeconds} s`);
  const aloneStarted = epochMs();
  const alone = await nine(100_000);
  // Leave the burst its phase and a minute to send the nine's messages.
  const burstNeedsMs = (settings.phaseSeconds + 4 + 60) * 1000;
  const aloneIds = alone.filter(acceptedShot).map((shot) => shot.id);
  await untilSent(platform, aloneIds, deadline - burstNeedsMs);

  // The big tenant starts first and ends last, so the nine send only while its burst is going.
  const headStartMs = 2_000;
  const bigRate = settings.rate * settings.factor;
  console.log(
    `burst: tenant ${big.id} at ${bigRate}/s for ${settings.phaseSeconds + 4} s, the nine as before inside it`,
  );
  const burstStarted = epochMs();
  const [bigShots, burst] = await Promise.all([
    load(dev, big, bigRate, settings.phaseSeconds + (2 * headStartMs) / 1000, 200_000),
    nine(300_000, headStartMs),
  ]);
  const burstTimes = await untilSent(
    platform,
    burst.filter(acceptedShot).map((shot) => shot.id),
    deadline - 10_000,
  );
  // Read again: a message of the alone phase still queued when the burst began was sent during it.
  const aloneTimes = await messageTimes(platform, aloneIds);
  const bigTimes = await messageTimes(
    platform,
    bigShots.filter(acceptedShot).map((shot) => shot.id),
  );

  const aloneFigures = phaseFigures(alone, aloneTimes);
  const burstFigures = phaseFigures(burst, burstTimes);
  const bigFigures = phaseFigures(bigShots, bigTimes);
  const acceptRatio = round(burstFigures.acceptP99Ms / aloneFigures.acceptP99Ms, 2);
  const sentRatio = round(burstFigures.acceptToSentP99Ms / aloneFigures.acceptToSentP99Ms, 2);
  const summary = {
    aloneAcceptP99Ms: aloneFigures.acceptP99Ms,
    burstAcceptP99Ms: burstFigures.acceptP99Ms,
    acceptP99Ratio: acceptRatio,
    aloneAcceptToSentP99Ms: aloneFigures.acceptToSentP99Ms,
    burstAcceptToSentP99Ms: burstFigures.acceptToSentP99Ms,
    acceptToSentP99Ratio: sentRatio,
    bigTenantOfferedPerSecond: bigRate,
    bigTenantAccepted: bigFigures.accepted,
    bigTenantSentByTheEnd: bigFigures.sent,
    nineNotSent: burstFigures.accepted - burstFigures.sent + (aloneFigures.accepted - aloneFigures.sent),
    nineRefused:
      aloneFigures.offered - aloneFigures.accepted + (burstFigures.offered - burstFigures.accepted),
  };
  const results = {
    summary,
    targets: {
      acceptP99Ratio: target(acceptRatio, TARGET_RATIO, 'atMost'),
      acceptToSentP99Ratio: target(sentRatio, TARGET_RATIO, 'atMost'),
    },
    series: {
      sent: [
        sentPerSecond(`the nine alone (${SMALL_TENANTS * settings.rate}/s)`, alone, aloneTimes, aloneStarted),
        sentPerSecond('the nine under the burst', burst, burstTimes, burstStarted),
        sentPerSecond(`the big tenant (${bigRate}/s)`, bigShots, bigTimes, burstStarted),
      ],
    },
    settings: { ...settings, smallTenants: SMALL_TENANTS, headStartMs, platform: platformEnv() },
    phases: { alone: aloneFigures, burst: burstFigures, big: bigFigures },
  };
  console.log(JSON.stringify(results.phases, null, 2));
  console.log(JSON.stringify(summary, null, 2));
  writeScenarioResults('fairness', results, values.out);
  if (summary.nineNotSent > 0)
    console.error(`${summary.nineNotSent} of the nine's messages were not sent in time`);
  // Refusals under the burst are a finding (in the summary); an accepted message never sent is a failure.
  return summary.nineNotSent === 0 ? 0 : 1;
}

runOnPlatform('bench-fairness', platformEnv(), settings.maxSeconds, run);
