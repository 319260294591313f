// `npm run drill`: the failure drills against a platform started as `npm start` starts it. Each drill
// SIGKILLs one process under a steady load of sends and counts what was lost, sent twice, billed twice
// or never called back; see tools/bench/README.md.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeMicroResults } from './micro';
import { runOnPlatform, UNPACED_ENV } from './platform';
import { DRILL_TARGETS, drillTable, runDrills, type DrillTarget } from './drill/run';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    targets: { type: 'string', default: DRILL_TARGETS.join(',') },
    rate: { type: 'string', default: '20' },
    'before-kill-ms': { type: 'string', default: '3000' },
    'after-recovery-ms': { type: 'string', default: '3000' },
    'settle-seconds': { type: 'string', default: '240' },
    'latency-ms': { type: 'string', default: '20' },
    'max-seconds': { type: 'string', default: '1800' },
    out: { type: 'string', default: join(__dirname, '..', 'results', 'drill.json') },
  },
});

const targets = values.targets!.split(',').map((name) => name.trim()) as DrillTarget[];
for (const target of targets)
  if (!DRILL_TARGETS.includes(target))
    throw new Error(`--targets: ${target} is not one of ${DRILL_TARGETS.join(', ')}`);
const numbers = {
  rate: Number(values.rate),
  beforeKillMs: Number(values['before-kill-ms']),
  afterRecoveryMs: Number(values['after-recovery-ms']),
  settleSeconds: Number(values['settle-seconds']),
  latencyMs: Number(values['latency-ms']),
  maxSeconds: Number(values['max-seconds']),
};
for (const [name, value] of Object.entries(numbers))
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}: a whole number is expected`);

runOnPlatform(
  'drill',
  {
    ...UNPACED_ENV,
    CARRIER_SIM_SMPP_LATENCY_MS: String(numbers.latencyMs),
    CARRIER_SIM_SMPP_MAX_TPS: '0',
  },
  numbers.maxSeconds,
  async (platform) => {
    const results = await runDrills(platform, targets, {
      perSecond: numbers.rate,
      beforeKillMs: numbers.beforeKillMs,
      afterRecoveryMs: numbers.afterRecoveryMs,
      settleTimeoutMs: numbers.settleSeconds * 1000,
      senders: 4,
      log: (line) => console.log(line),
    });
    console.log(`\n${drillTable(results)}`);
    writeMicroResults(values.out!, 'drill', { settings: { targets, ...numbers }, results });
    const clean = results.every(
      (result) =>
        result.lost + result.duplicated + result.doubleBilled + result.usageMissing + result.webhooksLost ===
        0,
    );
    if (!clean) console.error('a drill lost, repeated or double-billed something: see the table');
    return clean ? 0 : 1;
  },
);
