// The short failure drill of issue 14 (the full set is `npm run drill`): a platform started as `npm start`
// starts it, under a steady load of sends with status callbacks, loses its messaging service to SIGKILL
// (with submits in hand: those the carrier took are recognised by their receipts, the others sent after
// SMPP_IN_DOUBT_SECONDS) and then its nats-server; the launcher starts each again. Every accepted message
// must reach a final status, reach the carrier once, be rated once and have its final callback delivered,
// with a stable webhook-id.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPlatform, UNPACED_ENV, type BenchPlatform } from '../../tools/bench/src/platform';
import { drillTable, runDrills, type DrillResult } from '../../tools/bench/src/drill/run';

describe('failure drill: SIGKILL messaging, then nats-server, under load', () => {
  let platform: BenchPlatform;
  let results: DrillResult[];

  beforeAll(async () => {
    platform = await startPlatform('e2e-drill', {
      ...UNPACED_ENV,
      CARRIER_SIM_SMPP_LATENCY_MS: '20',
      CARRIER_SIM_SMPP_MAX_TPS: '0',
      SMPP_IN_DOUBT_SECONDS: '15',
    });
    results = await runDrills(platform, ['messaging', 'nats'], {
      perSecond: 8,
      beforeKillMs: 2_000,
      afterRecoveryMs: 2_000,
      settleTimeoutMs: 150_000,
      senders: 2,
      log: () => undefined,
    });
    console.log(drillTable(results));
  }, 600_000);

  afterAll(async () => {
    await platform?.stop();
  }, 90_000);

  it.each(['messaging', 'nats'])('loses, repeats and double-bills nothing when %s is killed', (target) => {
    const result = results.find((drill) => drill.target === target)!;
    expect(result.accepted).toBeGreaterThan(10);
    expect({
      lost: result.lost,
      duplicated: result.duplicated,
      doubleBilled: result.doubleBilled,
      usageMissing: result.usageMissing,
      webhooksLost: result.webhooksLost,
      webhookIdsUnstable: result.webhookIdsUnstable,
      refused: result.refused,
      unanswered: result.unanswered,
    }).toEqual({
      lost: 0,
      duplicated: 0,
      doubleBilled: 0,
      usageMissing: 0,
      webhooksLost: 0,
      webhookIdsUnstable: 0,
      refused: 0,
      unanswered: 0,
    });
  });
});
