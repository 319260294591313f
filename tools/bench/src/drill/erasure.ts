// The erasure drill: a subject with many messages is erased while the messaging participant is stopped
// (SIGSTOP: alive, holding its connections, answering nothing). The request must wait and name messaging;
// after messaging is killed and started again by the launcher it must complete with every message of the
// subject gone, none left behind and none counted twice.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { isAlive } from '../../../dev/src/processes';
import { request as call, senderNumbers, type BenchPlatform } from '../platform';

export interface ErasureDrillResult {
  messages: number;
  /** The request named messaging among those it waits for while messaging was stopped. */
  waitedNamingMessaging: boolean;
  /** Messages of the subject still there after the request completed. */
  missed: number;
  /** Messages the receipts say were deleted beyond those there were (erased twice, or counted twice). */
  erasedTwice: number;
  /** From messaging's restart until the request was completed. */
  completedSeconds: number;
  state: string;
}

/** A UUIDv7 for a time: what messaging gives a message created then (its partition key is in its id). */
function uuidV7(at: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(at, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Writes `count` delivered messages between one of the tenant's numbers and the subject, as messaging stores them. */
async function seedMessages(platform: BenchPlatform, from: string, subject: string, count: number) {
  const client = await platform.admin('messaging');
  try {
    const now = Date.now();
    for (let offset = 0; offset < count; offset += 5_000) {
      const size = Math.min(5_000, count - offset);
      // Spread over the last hour: the current month's partition holds them.
      const times = Array.from(
        { length: size },
        (_, index) => now - 3_600_000 + ((offset + index) % 3_600_000),
      );
      await client.query(
        `insert into messages (tenant_id, id, direction, from_e164, to_e164, body, encoding, segments, status,
                               expires_at, created_at, updated_at)
         select $1, id, 'outbound', $2, $3, 'drill erasure ' || n, 'GSM-7', 1, 'delivered',
                at + interval '4 hours', at, at
           from unnest($4::uuid[], $5::timestamptz[]) with ordinality as seed(id, at, n)`,
        [
          platform.dev.tenantId,
          from,
          subject,
          times.map((at) => uuidV7(at)),
          times.map((at) => new Date(at).toISOString()),
        ],
      );
    }
  } finally {
    await client.end();
  }
}

async function subjectMessages(platform: BenchPlatform, subject: string): Promise<number> {
  const client = await platform.admin('messaging');
  try {
    const { rows } = await client.query<{ n: number }>(
      'select count(*)::int as n from messages where tenant_id = $1 and (from_e164 = $2 or to_e164 = $2)',
      [platform.dev.tenantId, subject],
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

interface PrivacyRequest {
  id: string;
  state: string;
  waitingFor: string[];
  tasks: { participant: string; state: string; receipt: { category: string; deleted: number }[] }[];
}

export async function runErasureDrill(
  platform: BenchPlatform,
  options: { messages: number; stoppedForMs: number; timeoutMs: number; log: (line: string) => void },
): Promise<ErasureDrillResult> {
  const [number] = await senderNumbers(platform.dev, 1);
  const subject = `+4477009${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`;
  await seedMessages(platform, number!, subject, options.messages);
  const seeded = await subjectMessages(platform, subject);
  options.log(`erasure drill: ${seeded} messages of the subject; messaging stopped (SIGSTOP) at the request`);

  const stopped = platform.pidOf('messaging')!;
  process.kill(stopped, 'SIGSTOP');
  let request: PrivacyRequest;
  try {
    request = (await call(platform.dev, 'POST', '/v1/privacy/requests', {
      type: 'erasure',
      subject: { phone: subject },
    })) as unknown as PrivacyRequest;
    await sleep(options.stoppedForMs);
    request = (await call(
      platform.dev,
      'GET',
      `/v1/privacy/requests/${request.id}`,
    )) as unknown as PrivacyRequest;
  } finally {
    // Killed while stopped (the signal ends it even so); the launcher starts it again.
    process.kill(stopped, 'SIGKILL');
  }
  const waitedNamingMessaging = request.state !== 'completed' && request.waitingFor.includes('messaging');
  options.log(`  while stopped: ${request.state}, waiting for ${request.waitingFor.join(', ') || 'nobody'}`);

  const deadline = Date.now() + options.timeoutMs;
  while (!(platform.pidOf('messaging') !== stopped && isAlive(platform.pidOf('messaging')!))) {
    if (Date.now() > deadline) throw new Error('messaging was not started again');
    await sleep(100);
  }
  const restartedAt = Date.now();
  while (!['completed', 'partially_completed'].includes(request.state) && Date.now() < deadline) {
    await sleep(500);
    request = await call(platform.dev, 'GET', `/v1/privacy/requests/${request.id}`).then(
      (answer) => answer as unknown as PrivacyRequest,
      () => request,
    );
  }
  const messagingTask = request.tasks.filter((task) => task.participant === 'messaging');
  const deleted = messagingTask
    .flatMap((task) => task.receipt)
    .filter((line) => line.category === 'message_metadata')
    .reduce((sum, line) => sum + line.deleted, 0);
  const result: ErasureDrillResult = {
    messages: seeded,
    waitedNamingMessaging,
    missed: await subjectMessages(platform, subject),
    erasedTwice: Math.max(0, deleted - seeded) + Math.max(0, messagingTask.length - 1),
    completedSeconds: Math.round((Date.now() - restartedAt) / 100) / 10,
    state: request.state,
  };
  options.log(
    `  ${result.state}: missed ${result.missed}, erased twice ${result.erasedTwice} (receipt: ${deleted} deleted), ` +
      `${result.completedSeconds} s after the restart`,
  );
  return result;
}
