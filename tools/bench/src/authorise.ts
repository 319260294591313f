// `npm run bench:authorise`: billing's Authorise RPC as messaging calls it before every send (issue 13:
// "answered from memory ... target p99 under 2 ms at the service"), over real gRPC on loopback to the
// billing process of a platform started as `npm start` starts it, signed as messaging signs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { call, callerMetadata, createClient, InternalTokens, internalTokenPublicKeySet } from '@parley/kit';
import { billingV1 } from '@parley/proto';
import { writeMicroResults } from './micro';
import { runOnPlatform, type BenchPlatform } from './platform';
import { latencySummary, percentile } from './stats';

const TARGET_P99_MS = 2;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    calls: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '1,8,32' },
    'max-seconds': { type: 'string', default: '600' },
    out: { type: 'string', default: join(__dirname, '..', 'results', 'authorise.json') },
  },
});
const calls = Number(values.calls);
const concurrencies = values.concurrency!.split(',').map(Number);
if (!Number.isInteger(calls) || calls < 1) throw new Error('--calls: a whole number is expected');
if (concurrencies.some((value) => !Number.isInteger(value) || value < 1))
  throw new Error('--concurrency: whole numbers, comma-separated');

/** The gRPC address of a service the launcher started: its GRPC_PORT, from the process's environment. */
function grpcAddress(platform: BenchPlatform, service: string): string {
  const pid = platform.pidOf(service);
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const port = environ.find((entry) => entry.startsWith('GRPC_PORT='))?.slice('GRPC_PORT='.length);
  if (!port) throw new Error(`${service} has no GRPC_PORT`);
  return `127.0.0.1:${port}`;
}

/** Makes the demo tenant prepaid with room to spend, so every call takes the balance path and is allowed. */
async function prepaid(platform: BenchPlatform): Promise<void> {
  const { dev } = platform;
  const response = await fetch(`${dev.gatewayUrl}/v1/admin/tenants/${dev.tenantId}/wallet`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${dev.adminApiKey}`,
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
    },
    body: JSON.stringify({ billingMode: 'prepaid', creditLimitMinor: '100000000000' }),
  });
  if (!response.ok) throw new Error(`wallet: ${response.status} ${await response.text()}`);
}

async function run(platform: BenchPlatform) {
  await prepaid(platform);
  const secrets = JSON.parse(readFileSync(join(platform.home, 'secrets.json'), 'utf8')) as Record<
    string,
    string
  >;
  const privateKeys = Object.fromEntries(
    Object.entries(secrets)
      .filter(([name]) => name.startsWith('internalTokenPrivateKey.'))
      .map(([name, key]) => [name.slice('internalTokenPrivateKey.'.length), key]),
  );
  const tokens = new InternalTokens({
    issuer: 'messaging',
    privateKey: privateKeys.messaging!,
    publicKeys: internalTokenPublicKeySet(privateKeys),
  });
  const caller = { tenantId: platform.dev.tenantId, principal: 'service:messaging', scopes: ['internal'] };
  const billing = createClient(billingV1.BillingServiceClient, grpcAddress(platform, 'billing'), {
    serviceName: 'parley.billing.v1.BillingService',
  });
  // Signed per call as messaging signs it (the same token for half a minute, then a new one).
  const authorise = async () =>
    call(
      billing,
      billing.authorise,
      { kind: 'sms', segments: 1, destinationCountry: 'GB', reference: randomUUID() },
      { metadata: await callerMetadata(tokens, caller) },
    );
  try {
    // Warm the connection, the JIT and billing's wallet cache.
    for (let index = 0; index < 500; index++) await authorise();
    const runs = [];
    for (const concurrency of concurrencies) {
      const samples: number[] = [];
      let refused = 0;
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < calls) {
            const at = performance.now();
            const answer = await authorise();
            samples.push(performance.now() - at);
            if (!answer.allowed) refused++;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const sorted = [...samples].sort((a, b) => a - b);
      const summary = {
        concurrency,
        calls: samples.length,
        refused,
        perSecond: Math.round(samples.length / seconds),
        ms: { ...latencySummary(samples), p999: Math.round((percentile(sorted, 0.999) ?? 0) * 100) / 100 },
      };
      console.log(
        `concurrency ${String(concurrency).padStart(3)}: ${String(summary.perSecond).padStart(6)} calls/s, ` +
          `p50 ${summary.ms.p50} ms, p99 ${summary.ms.p99} ms, p999 ${summary.ms.p999} ms, max ${summary.ms.max} ms`,
      );
      runs.push(summary);
    }
    return runs;
  } finally {
    billing.close();
  }
}

runOnPlatform('bench-authorise', {}, Number(values['max-seconds']), async (platform) => {
  const runs = await run(platform);
  const single = runs.find((summary) => summary.concurrency === 1) ?? runs[0]!;
  writeMicroResults(values.out!, 'authorise', {
    settings: { calls, concurrencies },
    summary: { p99MsOneAtATime: single.ms.p99, callsPerSecondOneAtATime: single.perSecond },
    targets: { p99MsOneAtATime: { target: TARGET_P99_MS, met: single.ms.p99 < TARGET_P99_MS } },
    runs,
  });
  return runs.every((summary) => summary.refused === 0) ? 0 : 1;
});
