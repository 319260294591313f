import { randomUUID } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import {
  isUuid,
  olderThan,
  toPage,
  withTenant,
  type Cursor,
  type Database,
  type Outbox,
  type Transaction,
} from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { accounts, type AccountRow } from './schema';
import type { Profile } from '../domain/account';

export type Account = AccountRow;

const profileColumns = (profile: Profile) => ({
  fullName: profile.fullName,
  email: profile.email,
  phone: profile.phone,
  companyName: profile.companyName,
  companyLocation: profile.companyLocation,
  companyUrl: profile.companyUrl,
  address: profile.address,
  timeZone: profile.timeZone,
  outgoingCallerId: profile.outgoingCallerId,
  dateOfBirth: profile.dateOfBirth,
  ageAttested: profile.ageAttested,
});

export function profileOf(account: Account): Profile {
  return {
    fullName: account.fullName,
    email: account.email,
    phone: account.phone,
    companyName: account.companyName,
    companyLocation: account.companyLocation,
    companyUrl: account.companyUrl,
    address: account.address,
    timeZone: account.timeZone,
    outgoingCallerId: account.outgoingCallerId,
    dateOfBirth: account.dateOfBirth,
    ageAttested: account.ageAttested,
  };
}

export class EmailTaken extends Error {}

/** Accounts, each change written with the event that announces it. */
export class AccountRepository {
  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
  ) {}

  /**
   * Publishes an account event, declaring the account holder as its subject: the event names them (their
   * account id), so a parked copy is found and deleted when they are erased, and consumers drop it then.
   */
  private announce(
    tx: Transaction,
    account: Pick<AccountRow, 'id' | 'tenantId' | 'idpUserId'>,
    type: string,
    payloadType: string,
    messageType: never,
    payload: unknown,
  ) {
    const subject = {
      accountIds: [account.id],
      emails: [],
      phones: [],
      userIds: account.idpUserId ? [account.idpUserId] : [],
    };
    return this.outbox.enqueue(tx, {
      type,
      tenantId: account.tenantId,
      subject,
      payloadType,
      messageType,
      payload: payload as never,
    });
  }

  async create(
    tenantId: string,
    profile: Profile,
    extra: { roles: string[]; idpUserId: string; signupIp: string; signupUserAgent: string },
  ): Promise<Account> {
    try {
      return await withTenant(this.db, tenantId, async (tx) => {
        const [row] = await tx
          .insert(accounts)
          .values({ id: randomUUID(), tenantId, ...profileColumns(profile), status: 'active', ...extra })
          .returning();
        if (!row) throw new Error('account insert returned nothing');
        await this.announce(
          tx,
          row,
          'identity.account.created',
          'parley.identity.v1.AccountCreated',
          identityV1.AccountCreated as never,
          {
            accountId: row.id,
            createdAt: row.createdAt,
          },
        );
        return row;
      });
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code === '23505') throw new EmailTaken();
      throw error;
    }
  }

  async find(tenantId: string, id: string): Promise<Account | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx.select().from(accounts).where(eq(accounts.id, id)),
    );
    return row;
  }

  async findByEmail(tenantId: string, email: string): Promise<Account | undefined> {
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(accounts)
        .where(sql`lower(${accounts.email}) = lower(${email})`),
    );
    return row;
  }

  async findByIdpUser(tenantId: string, idpUserId: string): Promise<Account | undefined> {
    const [row] = await withTenant(this.db, tenantId, (tx) =>
      tx.select().from(accounts).where(eq(accounts.idpUserId, idpUserId)),
    );
    return row;
  }

  async list(tenantId: string, size: number, after: Cursor | undefined) {
    const rows = await withTenant(this.db, tenantId, (tx) =>
      tx
        .select()
        .from(accounts)
        .where(olderThan(accounts.createdAt, accounts.id, after))
        .orderBy(desc(accounts.createdAt), desc(accounts.id))
        .limit(size + 1),
    );
    return toPage(rows, size, (row) => ({ at: row.createdAt, id: row.id }));
  }

  /** Saves a changed profile and announces which fields changed (names only, never values). */
  async updateProfile(account: Account, profile: Profile, changed: string[]): Promise<Account> {
    try {
      return await withTenant(this.db, account.tenantId, async (tx) => {
        const [row] = await tx
          .update(accounts)
          .set({ ...profileColumns(profile), updatedAt: new Date() })
          .where(eq(accounts.id, account.id))
          .returning();
        if (!row) throw new Error('account vanished during update');
        await this.announce(
          tx,
          row,
          'identity.account.updated',
          'parley.identity.v1.AccountUpdated',
          identityV1.AccountUpdated as never,
          {
            accountId: account.id,
            changedFields: changed,
          },
        );
        return row;
      });
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code === '23505') throw new EmailTaken();
      throw error;
    }
  }

  async setRoles(account: Account, roles: string[]): Promise<Account> {
    return withTenant(this.db, account.tenantId, async (tx) => {
      const [row] = await tx
        .update(accounts)
        .set({ roles, updatedAt: new Date() })
        .where(eq(accounts.id, account.id))
        .returning();
      if (!row) throw new Error('account vanished during update');
      await this.announce(
        tx,
        row,
        'identity.account.updated',
        'parley.identity.v1.AccountUpdated',
        identityV1.AccountUpdated as never,
        {
          accountId: account.id,
          changedFields: ['roles'],
        },
      );
      return row;
    });
  }

  /** Closes the account once; closing again returns it unchanged and announces nothing. */
  async close(account: Account, at: Date): Promise<Account> {
    return withTenant(this.db, account.tenantId, async (tx) => {
      const [row] = await tx
        .update(accounts)
        .set({ status: 'closed', closedAt: at, updatedAt: at })
        .where(and(eq(accounts.id, account.id), eq(accounts.status, 'active')))
        .returning();
      if (!row) {
        const [current] = await tx.select().from(accounts).where(eq(accounts.id, account.id));
        if (!current) throw new Error('account vanished during close');
        return current;
      }
      await this.announce(
        tx,
        row,
        'identity.account.closed',
        'parley.identity.v1.AccountClosed',
        identityV1.AccountClosed as never,
        {
          accountId: account.id,
          closedAt: at,
        },
      );
      return row;
    });
  }

  async recordLogin(
    tenantId: string,
    idpUserId: string,
    login: { ip: string; userAgent: string; at: Date },
  ): Promise<boolean> {
    const result = await withTenant(this.db, tenantId, (tx) =>
      tx
        .update(accounts)
        .set({
          lastLoginIp: login.ip,
          lastLoginUserAgent: login.userAgent.slice(0, 500),
          lastLoginAt: login.at,
        })
        .where(
          and(
            eq(accounts.idpUserId, idpUserId),
            sql`(${accounts.lastLoginAt} is null or ${accounts.lastLoginAt} < ${login.at})`,
          ),
        ),
    );
    return (result.rowCount ?? 0) > 0;
  }
}
