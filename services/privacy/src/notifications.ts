import { createTransport, type Transporter } from 'nodemailer';
import { desc, eq } from 'drizzle-orm';
import { withTenant, type Database, type Transaction } from '@parley/kit';
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
  /** Sends within the caller's transaction where it can (the mailbox), so a rollback unsends. */
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

export class SmtpNotifier implements Notifier {
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = createTransport(url);
  }

  async send(_tx: Transaction, notice: Notice): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: notice.to,
      subject: notice.subject,
      text: notice.text,
    });
  }
}
