import { createTransport, type Transporter } from 'nodemailer';
import { desc, eq } from 'drizzle-orm';
import { withTenant, type Database, type Jobs, type Transaction } from '@parley/kit';
import { mailbox } from './db/schema';

export interface Notice {
  tenantId: string;
  to: string;
  subject: string;
  text: string;
}

/**
 * Where codes and notices to data subjects go. In production an SMTP server; in npm start and tests a
 * mailbox table that the development API can read. (SMS through Parley's own messaging comes when
 * messaging can send.)
 */
export interface Notifier {
  /**
   * Sends within the caller's transaction, so a rollback unsends: the mailbox stores it, SMTP queues it
   * for delivery once the transaction commits.
   */
  send(tx: Transaction, notice: Notice): Promise<void>;
}

export class MailboxNotifier implements Notifier {
  constructor(private readonly db: Database) {}

  async send(tx: Transaction, notice: Notice): Promise<void> {
    await tx.insert(mailbox).values({
      tenantId: notice.tenantId,
      toAddress: notice.to,
      subject: notice.subject,
      body: notice.text,
    });
  }

  async read(tenantId: string, to?: string) {
    return withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(mailbox)
        .where(to ? eq(mailbox.toAddress, to) : undefined)
        .orderBy(desc(mailbox.id))
        .limit(100),
    );
  }
}

/** The kit job queue that delivers notices by SMTP. */
export const NOTICE_QUEUE = 'privacy-notice';

/**
 * Sends notices by SMTP once the transaction that made them has committed. The notice waits in the
 * mailbox table (the outgoing queue, covered by erasure like everything else there) and a job on the
 * kit's queue, sent in the same transaction and carrying only the row's id, hands it to the mail server
 * and deletes it. So a rollback unsends, a mail server that is down is retried with backoff rather than
 * failing the request, and no answer waits on the mail server: a request about a subject the tenant holds
 * (mailed) takes as long as one about a subject it does not (not mailed), which would otherwise tell them
 * apart. Delivery is at least once: a crash between handing a notice over and deleting it sends it again.
 */
export class SmtpNotifier implements Notifier {
  private readonly transport: Transporter;

  constructor(private readonly deps: { db: Database; jobs: Jobs; url: string; from: string }) {
    this.transport = createTransport(deps.url);
  }

  async send(tx: Transaction, notice: Notice): Promise<void> {
    const [row] = await tx
      .insert(mailbox)
      .values({
        tenantId: notice.tenantId,
        toAddress: notice.to,
        subject: notice.subject,
        body: notice.text,
      })
      .returning({ id: mailbox.id });
    await this.deps.jobs.send(NOTICE_QUEUE, { id: row!.id }, { tx, tenantId: notice.tenantId });
  }

  /** Starts delivering (before the runtime starts its queue). */
  async register(): Promise<void> {
    await this.deps.jobs.work<{ id: number }>(
      NOTICE_QUEUE,
      async (job) => this.deliver(job.tenantId ?? '', job.data.id),
      { retryLimit: 30, retryDelaySeconds: 30, retryBackoff: true, retryDelayMaxSeconds: 3600 },
    );
  }

  private async deliver(tenantId: string, id: number): Promise<void> {
    const [notice] = await withTenant(this.deps.db, tenantId, (tx) =>
      tx.select().from(mailbox).where(eq(mailbox.id, id)),
    );
    // Gone: delivered already, or erased with its subject before it went out.
    if (!notice) return;
    await this.transport.sendMail({
      from: this.deps.from,
      to: notice.toAddress,
      subject: notice.subject,
      text: notice.body,
    });
    await withTenant(this.deps.db, tenantId, (tx) => tx.delete(mailbox).where(eq(mailbox.id, id)));
  }

  close(): void {
    this.transport.close();
  }
}
