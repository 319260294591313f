// `npm run bench:request-checks`: what refusing control characters costs each request. The gateway walks
// every parsed body and query, and every service's gRPC server walks every decoded request, before any
// handler runs (services/kit/src/text.ts); this measures that walk on bodies the API really receives.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { controlCharacterViolations } from '@parley/kit/src/text';

/** Per request, for a body of the size partners send: a small share of a loopback RPC (~100 µs and up). */
const TARGET_MICROSECONDS_TYPICAL = 5;

const account = {
  fullName: 'Ada Lovelace',
  email: 'ada@example.com',
  phone: '+447911123456',
  companyName: 'Analytical Engines Ltd',
  address: { line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  timeZone: 'Europe/London',
  ageAttested: true,
};
const bodies: Record<string, unknown> = {
  'account (typical)': account,
  'privacy request (typical)': {
    type: 'rectification',
    subject: { email: 'ada@example.com' },
    changes: account,
  },
  'list of 1,000 profiles (large)': { accounts: Array.from({ length: 1_000 }, () => account) },
  'message body of 1,600 characters': { from: '+14155550100', to: '+14155550123', body: 'x'.repeat(1_600) },
};

function measure(body: unknown, iterations: number) {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) controlCharacterViolations(body); // warm up
  const started = performance.now();
  let found = 0;
  for (let i = 0; i < iterations; i++) found += controlCharacterViolations(body).length;
  const seconds = (performance.now() - started) / 1000;
  if (found !== 0) throw new Error('a clean body was refused');
  return {
    iterations,
    perSecond: Math.round(iterations / seconds),
    microseconds: (seconds / iterations) * 1e6,
  };
}

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '200000' },
    out: { type: 'string', default: join(__dirname, '..', 'results', 'requestChecks.json') },
  },
});
const iterations = Number(values.iterations);
if (!Number.isInteger(iterations) || iterations < 1)
  throw new Error('--iterations must be a positive integer');

const results = Object.entries(bodies).map(([name, body]) => {
  const large = name.includes('large');
  const result = measure(body, large ? Math.max(1, Math.floor(iterations / 1_000)) : iterations);
  console.log(
    `${name.padEnd(34)} ${result.microseconds.toFixed(2).padStart(9)} µs/request  ${String(result.perSecond).padStart(10)} /s`,
  );
  return { name, ...result };
});
const typical = results.filter((result) => result.name.includes('typical'));
const met = typical.every((result) => result.microseconds < TARGET_MICROSECONDS_TYPICAL);
console.log(
  `target: typical bodies under ${TARGET_MICROSECONDS_TYPICAL} µs per request: ${met ? 'met' : 'NOT met'}`,
);

const out = resolve(values.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      scenario: 'request-checks',
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryBytes: totalmem(),
        node: process.version,
      },
      target: { typicalMicroseconds: TARGET_MICROSECONDS_TYPICAL, met },
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`written ${out}`);
