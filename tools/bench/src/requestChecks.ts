// `npm run bench:request-checks`: what refusing control characters costs each request. The gateway walks
// every parsed body and query, and every service's gRPC server walks every decoded request, before any
// handler runs (services/kit/src/text.ts); this measures that walk on bodies the API really receives.
import { controlCharacterViolations } from '@parley/kit/src/text';
import { microBenchOptions, timeCalls, timingLine, writeMicroResults } from './micro';

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
  const { total: found, ...timing } = timeCalls(() => controlCharacterViolations(body).length, iterations);
  if (found !== 0) throw new Error('a clean body was refused');
  return timing;
}

const { iterations, out } = microBenchOptions({ iterations: 200_000, resultsFile: 'requestChecks.json' });

const results = Object.entries(bodies).map(([name, body]) => {
  const large = name.includes('large');
  const result = measure(body, large ? Math.max(1, Math.floor(iterations / 1_000)) : iterations);
  console.log(timingLine(name, result, 'request'));
  return { name, ...result };
});
const typical = results.filter((result) => result.name.includes('typical'));
const met = typical.every((result) => result.microseconds < TARGET_MICROSECONDS_TYPICAL);
console.log(
  `target: typical bodies under ${TARGET_MICROSECONDS_TYPICAL} µs per request: ${met ? 'met' : 'NOT met'}`,
);

writeMicroResults(out, 'request-checks', {
  target: { typicalMicroseconds: TARGET_MICROSECONDS_TYPICAL, met },
  results,
});
