// Failure drills: under a steady load of sends, SIGKILL one process of a running platform (a service, NATS
// or PostgreSQL), let the launcher start it again, and count what the platform lost, did twice, billed
// twice or forgot to tell the tenant. Used by `npm run drill` and by the short drill in `npm test`.
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAlive } from '../../../dev/src/processes';
import { senderNumbers, simCounters, type BenchPlatform } from '../platform';
import { SteadyLoad } from './load';

export const DRILL_TARGETS = [
  'gateway',
  'numbering',
  'messaging',
  'billing',
  'privacy',
  'identity',
  'nats',
  'postgres',
] as const;
export type DrillTarget = (typeof DRILL_TARGETS)[number];

/** A request that answers 2xx only when the killed part serves again (services: one of their own reads). */
const PROBES: Record<DrillTarget, string> = {
  gateway: '/readyz',
  numbering: '/v1/numbers?limit=1',
  messaging: '/v1/messages?limit=1',
  billing: '/v1/balance',
  privacy: '/v1/privacy/requests?limit=1',
  identity: '/v1/api-keys',
  nats: '/readyz',
  postgres: '/v1/messages?limit=1',
};

const FINAL = new Set(['delivered', 'undelivered', 'failed', 'expired']);
const REACHED_CARRIER = new Set(['sent', 'delivered', 'undelivered']);

export interface DrillOptions {
  /** Sends per second through the gateway during each drill. */
  perSecond: number;
  /** Load before the kill, and after the API answers again. */
  beforeKillMs: number;
  afterRecoveryMs: number;
  /** How long every accepted message, its usage line and its final callback may take to appear. */
  settleTimeoutMs: number;
  senders: number;
  log: (line: string) => void;
}

export interface DrillResult {
  target: DrillTarget;
  accepted: number;
  /** Accepted messages without a final status when the settle time ran out. */
  lost: number;
  /** Messages the carrier received more than once (the simulator's count of resubmissions). */
  duplicated: number;
  /** Messages that reached the carrier without exactly one usage line: none, or more than one. */
  usageMissing: number;
  doubleBilled: number;
  /** Final statuses whose callback never arrived, and callbacks repeated under a different webhook-id. */
  webhooksLost: number;
  webhookIdsUnstable: number;
  /** Sends refused with a definite 4xx, or never answered at all. */
  refused: number;
  unanswered: number;
  retries: number;
  /** From the SIGKILL until the probe and a new send were both answered again. */
  recoverySeconds: number;
  /** From the end of the load until every count above was final. */
  settleSeconds: number;
  /** Other processes that were started again meanwhile (they died with the killed one). */
  alsoRestarted: string[];
}

/** Webhooks the platform posts to the drill: per message and event type, every webhook-id seen. */
class CallbackReceiver {
  readonly seen = new Map<string, Set<string>>();
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { type?: string; data?: { id?: string } };
          const key = `${parsed.data?.id} ${parsed.type}`;
          const ids = this.seen.get(key) ?? new Set<string>();
          ids.add(String(request.headers['webhook-id']));
          this.seen.set(key, ids);
        } catch {
          // not a webhook of ours
        }
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/drill`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Runs the drills one after the other on one platform; each is counted on its own messages. */
export async function runDrills(
  platform: BenchPlatform,
  targets: readonly DrillTarget[],
  options: DrillOptions,
): Promise<DrillResult[]> {
  const senders = await senderNumbers(platform.dev, options.senders);
  const receiver = new CallbackReceiver();
  await receiver.start();
  try {
    const results: DrillResult[] = [];
    for (const [index, target] of targets.entries()) {
      options.log(
        `drill ${index + 1}/${targets.length}: SIGKILL ${target} under ${options.perSecond} sends/s`,
      );
      const result = await drill(platform, target, senders, receiver, (index + 1) * 10_000, options);
      options.log(
        `  ${target}: accepted ${result.accepted}, lost ${result.lost}, duplicated ${result.duplicated}, ` +
          `double-billed ${result.doubleBilled}, usage missing ${result.usageMissing}, ` +
          `webhooks lost ${result.webhooksLost}, recovered in ${result.recoverySeconds} s`,
      );
      results.push(result);
    }
    return results;
  } finally {
    await receiver.stop();
  }
}

async function drill(
  platform: BenchPlatform,
  target: DrillTarget,
  senders: string[],
  receiver: CallbackReceiver,
  firstIndex: number,
  options: DrillOptions,
): Promise<DrillResult> {
  const { dev } = platform;
  const before = await simCounters(dev);
  const load = new SteadyLoad(dev, senders, options.perSecond, receiver.url, firstIndex);
  load.start();
  await sleep(options.beforeKillMs);
  const pidsBefore = platform.processes();
  const pid = platform.pidOf(target);
  if (!pid) throw new Error(`the launcher recorded no process named ${target}`);
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  const recoveredAt = await untilRecovered(platform, target, pid, load, killedAt);
  await sleep(options.afterRecoveryMs);
  await load.stop();
  const loadEnded = Date.now();
  const deadline = loadEnded + options.settleTimeoutMs;
  const ids = load.accepted.map((send) => send.id);

  const statuses = await untilSettled(
    deadline,
    () => messageStatuses(platform, ids),
    (found) => ids.every((id) => FINAL.has(found.get(id) ?? '')),
  );
  const reached = ids.filter((id) => REACHED_CARRIER.has(statuses.get(id) ?? ''));
  const usage = await untilSettled(
    deadline,
    () => usageLines(platform, reached),
    (lines) => reached.every((id) => lines.has(id)),
  );
  const finals = ids.filter((id) => FINAL.has(statuses.get(id) ?? ''));
  const callbackKey = (id: string) => `${id} messaging.message.${statuses.get(id)}`;
  await untilSettled(
    deadline,
    async () => receiver.seen,
    (seen) => finals.every((id) => seen.has(callbackKey(id))),
  );
  const after = await simCounters(dev);
  const pidsAfter = new Map(platform.processes().map((record) => [record.name, record.pid]));
  return {
    target,
    accepted: ids.length,
    lost: ids.length - finals.length,
    duplicated: (after.duplicates ?? 0) - (before.duplicates ?? 0),
    usageMissing: reached.filter((id) => !usage.has(id)).length,
    doubleBilled: reached.filter((id) => (usage.get(id) ?? 0) > 1).length,
    webhooksLost: finals.filter((id) => !receiver.seen.has(callbackKey(id))).length,
    webhookIdsUnstable: [...receiver.seen.values()].filter((webhookIds) => webhookIds.size > 1).length,
    refused: load.refused.length,
    unanswered: load.unanswered,
    retries: load.retries,
    recoverySeconds: Math.round((recoveredAt - killedAt) / 100) / 10,
    settleSeconds: Math.round((Date.now() - loadEnded) / 100) / 10,
    alsoRestarted: pidsBefore
      .filter((record) => record.name !== target && pidsAfter.get(record.name) !== record.pid)
      .map((record) => record.name),
  };
}

/**
 * Waits until the launcher has started the killed process again, its probe answers 2xx, and a send first
 * tried after the kill was accepted; returns when the last of these happened.
 */
async function untilRecovered(
  platform: BenchPlatform,
  target: DrillTarget,
  killedPid: number,
  load: SteadyLoad,
  killedAt: number,
): Promise<number> {
  const deadline = killedAt + 180_000;
  let probed: number | undefined;
  while (Date.now() < deadline) {
    const pid = platform.pidOf(target);
    if (pid && pid !== killedPid && isAlive(pid)) {
      probed ??= (await probe(platform, PROBES[target])) ? Date.now() : undefined;
      const sent = load.firstAcceptedAfter(killedAt);
      if (probed && sent) return Math.max(probed, sent);
    }
    await sleep(100);
  }
  throw new Error(`${target} did not serve again within ${(deadline - killedAt) / 1000} s of its SIGKILL`);
}

async function probe(platform: BenchPlatform, path: string): Promise<boolean> {
  try {
    const response = await fetch(`${platform.dev.gatewayUrl}${path}`, {
      headers: { authorization: `Bearer ${platform.dev.apiKey}` },
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Reads again until `done` says so or the deadline passes; returns the last reading either way. */
async function untilSettled<T>(deadline: number, read: () => Promise<T>, done: (value: T) => boolean) {
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && (done(value) || Date.now() > deadline)) return value;
    if (Date.now() > deadline) throw new Error('the platform could not be read before the deadline');
    await sleep(500);
  }
}

/** Each message's status, from messaging's database (as its superuser: every tenant's rows). */
async function messageStatuses(platform: BenchPlatform, ids: string[]): Promise<Map<string, string>> {
  const client = await platform.admin('messaging');
  try {
    const { rows } = await client.query<{ id: string; status: string }>(
      'select id::text, status from messages where id = any($1::uuid[])',
      [ids],
    );
    return new Map(rows.map((row) => [row.id, row.status]));
  } finally {
    await client.end();
  }
}

/** How many usage lines billing rated from each message's `messaging.message.sent`. */
async function usageLines(platform: BenchPlatform, ids: string[]): Promise<Map<string, number>> {
  const client = await platform.admin('billing');
  try {
    const { rows } = await client.query<{ reference: string; lines: number }>(
      `select reference, count(*)::int as lines from usage_records
        where source_type = 'messaging.message.sent' and seller = 'platform' and reference = any($1::text[])
        group by reference`,
      [ids],
    );
    return new Map(rows.map((row) => [row.reference, row.lines]));
  } finally {
    await client.end();
  }
}

/** The drill table as printed: one row per drill. */
export function drillTable(results: DrillResult[]): string {
  const columns: [string, (result: DrillResult) => string | number][] = [
    ['drill', (result) => `SIGKILL ${result.target}`],
    ['accepted', (result) => result.accepted],
    ['lost', (result) => result.lost],
    ['duplicated', (result) => result.duplicated],
    ['double-billed', (result) => result.doubleBilled],
    ['usage missing', (result) => result.usageMissing],
    ['webhooks lost', (result) => result.webhooksLost],
    ['recovered in (s)', (result) => result.recoverySeconds],
    ['settled in (s)', (result) => result.settleSeconds],
    ['also restarted', (result) => result.alsoRestarted.join(', ') || '-'],
  ];
  const rows = [
    columns.map(([name]) => name),
    ...results.map((r) => columns.map(([, cell]) => String(cell(r)))),
  ];
  const widths = columns.map((_, index) => Math.max(...rows.map((row) => row[index]!.length)));
  return rows.map((row) => row.map((cell, index) => cell.padEnd(widths[index]!)).join('  ')).join('\n');
}
