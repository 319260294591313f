import { and, asc, eq, gt, inArray, isNotNull, lt, or, sql, type SQL } from 'drizzle-orm';
import {
  invalidArgument,
  receiptLine,
  type DataCategory,
  type PrivacyParticipant,
  type SubjectIdentifiers,
  type Transaction,
} from '@parley/kit';
import { numbers, portIns, type NumberRow, type PortInRow } from './db/schema';
import type { NumberingDeps } from './deps';
import { releaseInTransaction } from './rpc/releaseNumber';
import { publishConfigured } from './events/published';

/** What numbering holds about people. */
export const numberingCategories: DataCategory[] = [
  {
    id: 'managed_numbers',
    description:
      'Phone numbers an account manages, with their friendly names and outgoing caller ID settings',
    subjects: ['account holders'],
    purpose: 'Provide the numbers the account uses; route its calls and messages',
    legalBasis: 'contract',
    retention: 'while the number is assigned to the account; released numbers are quarantined before reuse',
    legalObligation: '',
    defaultRetentionDays: 0,
    consentPurposes: [],
  },
  {
    id: 'forwarding_targets',
    description: "Numbers calls and messages are forwarded to (often a third person's number)",
    subjects: ['account holders', 'people calls and messages are forwarded to'],
    purpose: 'Forward calls and messages as the account holder configured',
    legalBasis: 'contract',
    retention: 'while the forwarding is configured',
    legalObligation: '',
    defaultRetentionDays: 0,
    consentPurposes: [],
  },
  {
    id: 'port_in_records',
    description:
      'Port-in requests: numbers ported, losing carrier, account number, authorised name, service address, documents metadata',
    subjects: ['account holders', 'authorised persons of the losing carrier account'],
    purpose: 'Move numbers from another carrier and prove the port was authorised',
    legalBasis: 'contract; legal obligation',
    retention: "three years after the port-in finished, or as long as the law of the tenant's country asks",
    legalObligation:
      "number portability rules oblige carriers to keep proof of a port's authorisation; erasure anonymises the record and keeps the numbers and dates",
    defaultRetentionDays: 1095,
    consentPurposes: [],
  },
];

const none = sql`false`;

function ownedBy(subject: SubjectIdentifiers): SQL {
  return subject.accountIds.length > 0 ? inArray(numbers.accountId, subject.accountIds) : none;
}

function forwardingOf(subject: SubjectIdentifiers): SQL {
  const clauses: SQL[] = [];
  if (subject.phones.length > 0) clauses.push(inArray(numbers.forwardingTarget, subject.phones));
  if (subject.accountIds.length > 0) clauses.push(inArray(numbers.accountId, subject.accountIds));
  return and(isNotNull(numbers.forwardingTarget), clauses.length > 0 ? or(...clauses) : none)!;
}

/** Port-ins about the subject that still hold personal data (an anonymised one holds none). */
function portInsOf(subject: SubjectIdentifiers): SQL {
  const clauses: SQL[] = [];
  if (subject.accountIds.length > 0) clauses.push(inArray(portIns.accountId, subject.accountIds));
  if (subject.phones.length > 0)
    clauses.push(sql`${portIns.phoneNumbers} && ${sql.param(subject.phones)}::text[]`);
  return and(isNotNull(portIns.authorizedName), clauses.length > 0 ? or(...clauses) : none)!;
}

const managedRecord = (row: NumberRow) => ({
  numberId: row.id,
  phoneNumber: row.e164,
  accountId: row.accountId,
  friendlyName: row.friendlyName,
  callerId: row.callerId,
  status: row.status,
  assignedAt: row.assignedAt.toISOString(),
  releasedAt: row.releasedAt?.toISOString() ?? null,
});

const portInRecord = (row: PortInRow) => ({
  portInId: row.id,
  status: row.status,
  phoneNumbers: row.phoneNumbers,
  losingCarrier: row.losingCarrier,
  accountNumber: row.accountNumber,
  authorizedName: row.authorizedName,
  address: row.address,
  requestedDate: row.requestedDate.toISOString(),
  focDate: row.focDate?.toISOString() ?? null,
  documents: row.documents,
  accountId: row.accountId,
  createdAt: row.createdAt.toISOString(),
});

type Stage = 'n' | 'f' | 'p';
const stages: Stage[] = ['n', 'f', 'p'];

/**
 * Numbering as a privacy participant. Erasure removes forwarding targets and the personal fields of
 * port-ins (kept anonymised: a port's proof is kept), and unassigns the subject's numbers from the account,
 * or releases them when the tenant's erasure policy says `release`.
 */
export function numberingParticipant(
  deps: Pick<NumberingDeps, 'numbers' | 'outbox' | 'jobs' | 'settings' | 'cache'>,
): PrivacyParticipant {
  const counts = async (tx: Transaction, subject: SubjectIdentifiers) => {
    const count = async (table: typeof numbers | typeof portIns, where: SQL) =>
      Number(
        (
          await tx
            .select({ n: sql<number>`count(*)::int` })
            .from(table)
            .where(where)
        )[0]?.n ?? 0,
      );
    return {
      managed_numbers: await count(numbers, and(ownedBy(subject), sql`${numbers.status} <> 'released'`)!),
      forwarding_targets: await count(numbers, forwardingOf(subject)),
      port_in_records: await count(portIns, portInsOf(subject)),
    };
  };
  return {
    name: 'numbering',
    categories: numberingCategories,
    async export(tx, subject, context, cursor) {
      // Cursor: `<stage>:<last id>`; stages are the managed numbers, forwarding targets, then port-ins.
      const [stageText, after] = cursor ? (cursor.split(':', 2) as [Stage, string]) : (['n', ''] as const);
      const limit = Math.max(1, context.limit);
      for (const stage of stages.slice(stages.indexOf(stageText))) {
        const from = stage === stageText ? after : '';
        if (stage === 'p') {
          const rows = await tx
            .select()
            .from(portIns)
            .where(and(portInsOf(subject), from ? gt(portIns.id, from) : undefined))
            .orderBy(asc(portIns.id))
            .limit(limit + 1);
          if (rows.length === 0) continue;
          const page = rows.slice(0, limit);
          return {
            records: page.map((row) => ({ category: 'port_in_records', record: portInRecord(row) })),
            ...(rows.length > limit ? { next: `p:${page[page.length - 1]!.id}` } : {}),
          };
        }
        const where =
          stage === 'n' ? and(ownedBy(subject), sql`${numbers.status} <> 'released'`) : forwardingOf(subject);
        const rows = await tx
          .select()
          .from(numbers)
          .where(and(where, from ? gt(numbers.id, from) : undefined))
          .orderBy(asc(numbers.id))
          .limit(limit + 1);
        if (rows.length === 0) continue;
        const page = rows.slice(0, limit);
        const last = page[page.length - 1]!.id;
        const nextStage = stages[stages.indexOf(stage) + 1];
        return {
          records: page.map((row) =>
            stage === 'n'
              ? { category: 'managed_numbers', record: managedRecord(row) }
              : {
                  category: 'forwarding_targets',
                  record: { numberId: row.id, phoneNumber: row.e164, forwardingTarget: row.forwardingTarget },
                },
          ),
          next: rows.length > limit ? `${stage}:${last}` : `${nextStage}:`,
        };
      }
      return { records: [] };
    },
    async erase(tx, subject, context) {
      const found = await counts(tx, subject);
      if (context.hold) {
        return numberingCategories.map((category) =>
          receiptLine(category.id, {
            kept: String(found[category.id as keyof typeof found]),
            keptBasis: `legal hold: ${context.hold}`,
          }),
        );
      }
      const forwarding = await tx
        .update(numbers)
        .set({ forwardingTarget: null, updatedAt: new Date() })
        .where(forwardingOf(subject))
        .returning({ id: numbers.id, e164: numbers.e164 });
      const { erasurePolicy } = await deps.settings.get(tx);
      const owned = await tx
        .select()
        .from(numbers)
        .where(and(ownedBy(subject), sql`${numbers.status} <> 'released'`));
      for (const row of owned) {
        if (erasurePolicy === 'release' && row.status === 'active') await releaseInTransaction(deps, tx, row);
        await tx
          .update(numbers)
          .set({ accountId: null, friendlyName: '', callerId: null, updatedAt: new Date() })
          .where(eq(numbers.id, row.id));
      }
      const ported = await tx
        .update(portIns)
        .set({
          authorizedName: null,
          address: null,
          accountNumber: null,
          pin: null,
          accountId: null,
          documents: [],
          updatedAt: new Date(),
        })
        .where(portInsOf(subject))
        .returning({ id: portIns.id });
      // Every replica's ResolveNumber cache hears of the change through the configured events.
      const changed = [...new Set([...forwarding, ...owned].map((row) => row.id))];
      const rows = changed.length ? await tx.select().from(numbers).where(inArray(numbers.id, changed)) : [];
      for (const row of rows) {
        await publishConfigured(deps.outbox, tx, row, [
          'forwardingTarget',
          'accountId',
          'friendlyName',
          'callerId',
        ]);
        deps.cache.invalidate(row.e164);
      }
      return [
        receiptLine('managed_numbers', { anonymised: String(owned.length) }),
        receiptLine('forwarding_targets', { deleted: String(forwarding.length) }),
        receiptLine('port_in_records', { anonymised: String(ported.length) }),
      ];
    },
    async rectify(tx, subject, changes) {
      // Numbering holds one corrected field of a person: the authorised name on their port-ins.
      const fullName = changes.fullName;
      if (fullName === undefined) return numberingCategories.map((category) => receiptLine(category.id));
      if (typeof fullName !== 'string' || fullName.trim() === '' || fullName.length > 200) {
        throw invalidArgument('CHANGES_INVALID', 'fullName must be 1-200 characters', [
          { field: 'fullName', description: '1-200 characters' },
        ]);
      }
      const corrected = await tx
        .update(portIns)
        .set({ authorizedName: fullName.trim(), updatedAt: new Date() })
        .where(portInsOf(subject))
        .returning({ id: portIns.id });
      return [
        receiptLine('managed_numbers'),
        receiptLine('forwarding_targets'),
        receiptLine('port_in_records', { corrected: String(corrected.length) }),
      ];
    },
    async restrict(tx, subject) {
      const found = await counts(tx, subject);
      return numberingCategories.map((category) =>
        receiptLine(category.id, { restricted: String(found[category.id as keyof typeof found]) }),
      );
    },
    async purge(tx, category, before) {
      if (category !== 'port_in_records') return [receiptLine(category)];
      const gone = await tx
        .delete(portIns)
        .where(
          and(
            inArray(portIns.status, ['ported', 'cancelled', 'exception']),
            lt(sql`coalesce(${portIns.completedAt}, ${portIns.updatedAt})`, before),
          ),
        )
        .returning({ id: portIns.id });
      return [receiptLine(category, { deleted: String(gone.length) })];
    },
  };
}
