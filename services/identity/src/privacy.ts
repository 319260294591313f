import { and, eq, inArray, isNotNull, lt, or, sql, type SQL } from 'drizzle-orm';
import {
  receiptLine,
  type DataCategory,
  type PrivacyParticipant,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import { accounts, type AccountRow } from './db/schema';
import { applyProfile, type ProfileInput } from './domain/account';
import type { IdentityProvider } from './idp/provider';
import { profileOf } from './db/accounts';

/** What identity holds about account holders (the seeds' "account data" and "usage data"). */
export const identityCategories: DataCategory[] = [
  {
    id: 'account_profile',
    description:
      'Full name, email, cell number, company name, location and URL, postal address, time zone, outgoing caller ID, date of birth or age attestation, roles',
    subjects: ['account holders'],
    purpose: 'Create, maintain and secure the account; provide the service',
    legalBasis: 'contract',
    retention: 'while the account is active; deleted 90 days after it is closed',
    legalObligation: '',
    defaultRetentionDays: 90,
    // Contact details reach the holder with marketing, and are shared for marketing only with consent.
    consentPurposes: ['marketing_email', 'marketing_sms', 'marketing_calls', 'sale_share'],
  },
  {
    id: 'login_facts',
    description: 'IP address and user agent at sign-up and at the latest login',
    subjects: ['account holders'],
    purpose: 'Detect and prevent fraud and abuse; secure the account',
    legalBasis: 'legitimate interests',
    retention: 'while the account is active; deleted 90 days after it is closed',
    legalObligation: '',
    defaultRetentionDays: 90,
    consentPurposes: [],
  },
];

function matching(subject: SubjectIdentifiers): SQL | undefined {
  const clauses: SQL[] = [];
  if (subject.accountIds.length > 0) clauses.push(inArray(accounts.id, subject.accountIds));
  if (subject.emails.length > 0)
    clauses.push(sql`lower(${accounts.email}) in ${subject.emails.map((e) => e.toLowerCase())}`);
  if (subject.userIds.length > 0) clauses.push(inArray(accounts.idpUserId, subject.userIds));
  return clauses.length > 0 ? or(...clauses) : sql`false`;
}

function profileRecord(account: AccountRow) {
  return {
    accountId: account.id,
    ...profileOf(account),
    roles: account.roles,
    status: account.status,
    createdAt: account.createdAt.toISOString(),
    closedAt: account.closedAt?.toISOString() ?? null,
  };
}

/** Identity as a privacy participant: the account profile and login facts of a subject. */
export function identityParticipant(deps: {
  idp: IdentityProvider;
  realmOf: (tenantId: string) => Promise<string>;
}): PrivacyParticipant {
  const held = (hold: string, count: number) =>
    identityCategories.map((category) =>
      receiptLine(category.id, { kept: String(count), keptBasis: `legal hold: ${hold}` }),
    );
  const find = (tx: Transaction, subject: SubjectIdentifiers) =>
    tx.select().from(accounts).where(matching(subject));
  return {
    name: 'identity',
    categories: identityCategories,
    async export(tx, subject) {
      // A subject has one account per tenant (two at most, by email and by id): one page holds it all.
      const rows = await find(tx, subject);
      return {
        records: [
          ...rows.map((row) => ({ category: 'account_profile', record: profileRecord(row) })),
          ...rows.map((row) => ({
            category: 'login_facts',
            record: {
              accountId: row.id,
              signupIp: row.signupIp,
              signupUserAgent: row.signupUserAgent,
              lastLoginIp: row.lastLoginIp,
              lastLoginUserAgent: row.lastLoginUserAgent,
              lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
            },
          })),
        ],
      };
    },
    async erase(tx, subject, context) {
      const rows = await find(tx, subject);
      if (context.hold) return held(context.hold, rows.length);
      const realm = await deps.realmOf(context.tenantId);
      for (const row of rows) if (row.idpUserId) await deps.idp.deleteUser(realm, row.idpUserId);
      if (rows.length > 0)
        await tx.delete(accounts).where(
          inArray(
            accounts.id,
            rows.map((row) => row.id),
          ),
        );
      return identityCategories.map((category) => receiptLine(category.id, { deleted: String(rows.length) }));
    },
    async rectify(tx, subject, changes, context) {
      const rows = await find(tx, subject);
      let corrected = 0;
      for (const row of rows) {
        const { profile, changed } = applyProfile(profileOf(row), changes as ProfileInput, {
          minimumAge: 0,
          today: new Date(),
        });
        if (changed.length === 0) continue;
        await tx
          .update(accounts)
          .set({ ...profile, updatedAt: new Date() })
          .where(eq(accounts.id, row.id));
        if (changed.includes('email') || changed.includes('fullName')) {
          if (row.idpUserId)
            await deps.idp.updateUser(await deps.realmOf(context.tenantId), row.idpUserId, {
              email: profile.email,
              fullName: profile.fullName,
            });
        }
        corrected += 1;
      }
      return [receiptLine('account_profile', { corrected: String(corrected) }), receiptLine('login_facts')];
    },
    async restrict(tx, subject) {
      const rows = await find(tx, subject);
      return identityCategories.map((category) =>
        receiptLine(category.id, { restricted: String(rows.length) }),
      );
    },
    async purge(tx, category, before) {
      if (category !== 'account_profile' && category !== 'login_facts') return [receiptLine(category)];
      const gone = await tx
        .delete(accounts)
        .where(
          and(eq(accounts.status, 'closed'), isNotNull(accounts.closedAt), lt(accounts.closedAt, before)),
        )
        .returning({ id: accounts.id });
      return identityCategories.map((entry) => receiptLine(entry.id, { deleted: String(gone.length) }));
    },
  };
}
