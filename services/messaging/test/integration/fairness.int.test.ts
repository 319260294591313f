import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { startMessaging, type MessagingUnderTest } from './messagingForTests';

const BURST = 100;
const SEND_CONCURRENCY = 8;
const SEND_TENANT_CONCURRENCY = 5;

/**
 * Tenant A queues a burst of BURST messages, then tenant B three; each submit takes a second at the simulator.
 * `tenantConcurrency`: SEND_TENANT_CONCURRENCY. `busyBeforeAtMost`: how many of A's may be sent before B's last.
 */
function burstThenFew(title: string, tenantConcurrency: number, busyBeforeAtMost: number) {
  describe(title, () => {
    let under: MessagingUnderTest;
    const busy = `a-${randomUUID().slice(0, 8)}`;
    const quiet = `b-${randomUUID().slice(0, 8)}`;
    let next = 3000;
    const recipient = () => `+44770091${String(next++).padStart(4, '0')}`;

    beforeAll(async () => {
      // Each submit takes a second at the simulator, so the burst goes out at SEND_TENANT_CONCURRENCY a
      // second and takes far longer than queuing it: B's messages are queued behind most of it however slow
      // the machine (with 100 ms, a slow machine queued 300 no faster than they went out, and B came last).
      under = await startMessaging({
        sim: { smppLatencyMs: 1000 },
        env: {
          SEND_CONCURRENCY: String(SEND_CONCURRENCY),
          SEND_TENANT_CONCURRENCY: String(tenantConcurrency),
          SMPP_WINDOW: '50',
        },
      });
    });

    afterAll(async () => {
      await under?.stop();
    });

    /** When each of the tenant's messages was recorded `sent` (microseconds since the epoch, the database's clock). */
    async function sentTimes(tenantId: string): Promise<bigint[]> {
      const { deps } = under.messaging.app;
      const rows = await deps.withTenant(tenantId, (tx) =>
        tx.execute<{ at: string }>(
          sql`select (extract(epoch from at) * 1000000)::bigint::text as at
              from message_status_history where status = 'sent'`,
        ),
      );
      return rows.rows.map((row) => BigInt(row.at));
    }

    it("sends tenant B's few messages while tenant A's burst of hundreds is still going through", async () => {
      const busyFrom = await under.buyNumber(busy);
      const quietFrom = await under.buyNumber(quiet);
      const burst: string[] = [];
      // A queues its burst from several numbers, so its own pacing never holds it back.
      const busyNumbers = [busyFrom, await under.buyNumber(busy), await under.buyNumber(busy)];
      for (let start = 0; start < BURST; start += 50) {
        const sent = await Promise.all(
          Array.from({ length: 50 }, (_, index) =>
            under.send(busy, {
              from: busyNumbers[(start + index) % busyNumbers.length]!,
              to: recipient(),
              body: `burst ${start + index}`,
            }),
          ),
        );
        burst.push(...sent.map((message) => message.id));
      }
      const few: string[] = [];
      for (let index = 0; index < 3; index++)
        few.push((await under.send(quiet, { from: quietFrom, to: recipient(), body: `few ${index}` })).id);
      for (const id of few) await under.reaches(quiet, id, 'delivered', 60_000);
      // When B's last message reached `sent`, how much of A's burst had?
      const quietSent = await sentTimes(quiet);
      const lastQuiet = quietSent.reduce((latest, at) => (at > latest ? at : latest), 0n);
      const busyBefore = (await sentTimes(busy)).filter((at) => at < lastQuiet).length;
      expect(quietSent).toHaveLength(3);
      // In FIFO order B's messages would wait for the whole burst (busyBefore = BURST).
      expect(busyBefore).toBeLessThanOrEqual(busyBeforeAtMost);
      for (const id of burst.slice(-5)) await under.reaches(busy, id, 'delivered', 120_000);
    }, 240_000);
  });
}

// Workers kept free of A by SEND_TENANT_CONCURRENCY take B's messages as they come.
burstThenFew(
  "messaging: one tenant's burst does not starve another tenant",
  SEND_TENANT_CONCURRENCY,
  BURST * 0.75,
);

// With every worker open to A, B's messages still go first: A's burst lowered its own jobs' priority
// (domain/sendPriority.ts), so B waits only for the submits in hand and the ones already fetched.
burstThenFew(
  "messaging: a tenant's few messages go before another's backlog even when the burst may use every worker",
  SEND_CONCURRENCY,
  SEND_CONCURRENCY * 3,
);
