import { and, eq, inArray, isNotNull, lt, or, sql, type SQL } from 'drizzle-orm';
import {
  alreadyExists,
  checkRectification,
  invalidArgument,
  receiptLine,
  type DataCategory,
  type PrivacyParticipant,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import { accounts, type AccountRow } from './db/schema';
import { applyProfile } from './domain/account';
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
      for (const row of rows) {
        if (!row.idpUserId) continue;
        await deps.idp.endSessions(realm, row.idpUserId);
        await deps.idp.deleteUser(realm, row.idpUserId);
      }
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
      // All or nothing: every value and every account is checked before anything is written; the database
      // writes share the task's transaction (the kit's savepoint undoes them on a throw); the identity
      // provider, which no transaction covers, is changed last and put back if a later change fails.
      const today = new Date();
      const checked = checkRectification(changes, today);
      if (checked.violations.length > 0) {
        throw invalidArgument(
          'ACCOUNT_INVALID',
          checked.violations.map((v) => `${v.field}: ${v.description}`).join('; '),
          checked.violations,
        );
      }
      const rows = await find(tx, subject);
      const planned = rows
        .map((row) => ({ row, ...applyProfile(profileOf(row), checked.changes, { minimumAge: 0, today }) }))
        .filter((plan) => plan.changed.length > 0);
      for (const { row, profile, changed } of planned) {
        if (!changed.includes('email')) continue;
        const [holder] = await tx
          .select({ id: accounts.id })
          .from(accounts)
          .where(sql`lower(${accounts.email}) = lower(${profile.email}) and ${accounts.id} <> ${row.id}`);
        if (holder) throw alreadyExists('ACCOUNT_EMAIL_TAKEN', 'changes.email: another account uses it');
      }
      for (const { row, profile } of planned) {
        await tx
          .update(accounts)
          .set({ ...profile, updatedAt: today })
          .where(eq(accounts.id, row.id));
      }
      const realm = await deps.realmOf(context.tenantId);
      const done: (typeof planned)[number][] = [];
      try {
        for (const plan of planned) {
          const { row, profile, changed } = plan;
          if (!row.idpUserId || !(changed.includes('email') || changed.includes('fullName'))) continue;
          await deps.idp.updateUser(realm, row.idpUserId, {
            email: profile.email,
            fullName: profile.fullName,
          });
          done.push(plan);
        }
      } catch (error) {
        for (const { row } of done.reverse()) {
          await deps.idp
            .updateUser(realm, row.idpUserId!, { email: row.email, fullName: row.fullName })
            .catch(() => undefined);
        }
        throw error;
      }
      return [
        receiptLine('account_profile', { corrected: String(planned.length) }),
        receiptLine('login_facts'),
      ];
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
