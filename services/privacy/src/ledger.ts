import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import {
  isUuid,
  textArray,
  failedPrecondition,
  grants,
  identifierHashes,
  matchingHashes,
  type SubjectHashKeys,
  invalidArgument,
  notFound,
  permissionDenied,
  withTenant,
  type Caller,
  type Database,
  type Transaction,
} from '@parley/kit';
import { breaches, consents, legalHolds, retentionPolicies } from './db/schema';
import type { AuditLog } from './db/audit';
import { consentPurposes, type SubjectRef, readSubject } from './domain/requests';
import { currentDecisions, GPC_METHOD, gpcToRecord } from './domain/consentState';
import type { SubjectDirectory } from './workflow';

/** A category's declared default retention, as its participant describes it (DescribeData). */
export interface DeclaredRetention {
  participant: string;
  category: string;
  /** 0: kept while needed, no automatic purge. */
  defaultRetentionDays: number;
}

const BREACH_NOTIFY_MS = 72 * 3_600_000;

export function subjectOf(ref: { accountId: string; email: string; phone: string } | undefined): SubjectRef {
  const subject = readSubject(ref);
  if (Object.keys(subject).length !== 1) {
    throw invalidArgument('SUBJECT_INVALID', 'name the subject by exactly one of accountId, email or phone', [
      { field: 'subject', description: 'exactly one of accountId, email, phone' },
    ]);
  }
  return subject;
}

/**
 * The consent ledger, legal holds, retention policies and the breach register: each change is appended to
 * the audit chain in the same transaction.
 */
export class Ledger {
  constructor(
    private readonly deps: {
      db: Database;
      audit: AuditLog;
      subjects: SubjectDirectory;
      /** SUBJECT_HASH_KEY and the previous ones: write under the current key, match under all. */
      secret: SubjectHashKeys;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** The subject's hashes: `current` to store, `matching` (under every key) to look stored ones up. */
  private async hashesOf(tenantId: string, subject: SubjectRef) {
    const identifiers = await this.deps.subjects.resolve(tenantId, subject);
    return {
      userIds: identifiers.userIds,
      current: identifierHashes(this.deps.secret, tenantId, identifiers),
      matching: matchingHashes(this.deps.secret, tenantId, identifiers),
    };
  }

  /** Appends consent decisions; the Global Privacy Control signal adds an opt-out of sale/share. */
  async recordConsent(
    caller: Caller,
    input: {
      subject: SubjectRef;
      purpose: string;
      granted: boolean;
      method: string;
      textVersion: string;
      gpc: boolean;
    },
  ) {
    const violations = [];
    if (!(consentPurposes as readonly string[]).includes(input.purpose)) {
      violations.push({ field: 'purpose', description: `one of ${consentPurposes.join(', ')}` });
    }
    if (!['api', 'form', 'banner', 'gpc', 'import'].includes(input.method)) {
      violations.push({ field: 'method', description: 'api, form, banner, gpc or import' });
    }
    if (input.textVersion.trim() === '' || input.textVersion.length > 100) {
      violations.push({
        field: 'textVersion',
        description: 'the version of the text the subject saw, 1-100 characters',
      });
    }
    if (input.purpose === 'cookies_essential' && !input.granted) {
      violations.push({
        field: 'granted',
        description: 'essential cookies cannot be refused; they need no consent',
      });
    }
    if (violations.length > 0) {
      throw invalidArgument(
        'CONSENT_INVALID',
        violations.map((v) => `${v.field}: ${v.description}`).join('; '),
        violations,
      );
    }
    const hashes = await this.hashesOf(caller.tenantId, input.subject);
    // Only a privacy officer records decisions for others (a signed form, an import); anyone else decides
    // for themselves: a logged-in user whose own account the subject names. A key without privacy:write
    // is nobody's self.
    const self = caller.principal.startsWith('user:') && hashes.userIds.includes(caller.principal.slice(5));
    if (!grants(caller.scopes, 'privacy:write') && !self) {
      throw permissionDenied(
        'CONSENT_NOT_OWN',
        'only your own consent can be recorded without privacy:write; name yourself as the subject',
      );
    }
    return withTenant(this.deps.db, caller.tenantId, async (tx) => {
      // The signal the request carried is recorded first (once: see gpcToRecord), then the choice made.
      const gpc = input.gpc ? await this.recordGpcIn(tx, caller, input.subject, hashes) : undefined;
      const row = await this.append(tx, caller, input.subject, hashes.current, input);
      return gpc ? [gpc, row] : [row];
    });
  }

  private async append(
    tx: Transaction,
    caller: Caller,
    subject: SubjectRef,
    hashes: string[],
    entry: { purpose: string; granted: boolean; method: string; textVersion: string },
  ) {
    const [row] = await tx
      .insert(consents)
      .values({
        id: randomUUID(),
        tenantId: caller.tenantId,
        subject: subject as Record<string, string>,
        subjectHashes: hashes,
        purpose: entry.purpose,
        granted: entry.granted,
        method: entry.method,
        textVersion: entry.textVersion,
        recordedBy: caller.principal,
        recordedAt: this.now(),
      })
      .returning();
    await this.deps.audit.append(tx, {
      tenantId: caller.tenantId,
      actor: caller.principal,
      action: 'consent.recorded',
      details: {
        purpose: entry.purpose,
        granted: entry.granted,
        method: entry.method,
        textVersion: entry.textVersion,
      },
    });
    return row!;
  }

  /**
   * Records the Global Privacy Control signal as an opt-out of sale/share when `gpcToRecord` says so, under
   * a lock on the subject so that requests arriving together record it once; answers the entry written.
   */
  private async recordGpcIn(
    tx: Transaction,
    caller: Caller,
    subject: SubjectRef,
    hashes: { current: string[]; matching: string[] },
  ) {
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtextextended(${`consents:${caller.tenantId}:${[...hashes.current].sort().join(',')}`}, 0))`,
    );
    const entries = await tx
      .select()
      .from(consents)
      .where(
        and(
          eq(consents.purpose, 'sale_share'),
          sql`${consents.subjectHashes} && ${textArray(hashes.matching)}`,
        ),
      );
    if (!gpcToRecord(entries)) return undefined;
    return this.append(tx, caller, subject, hashes.current, {
      purpose: 'sale_share',
      granted: false,
      method: GPC_METHOD,
      textVersion: 'Sec-GPC: 1',
    });
  }

  /**
   * The Global Privacy Control signal seen on a request of the subject's (sign-up, or any authenticated
   * request of theirs): recorded once as an opt-out of sale/share. Answers whether it wrote one, and the
   * sale/share decision in force.
   */
  async recordGlobalPrivacyControl(caller: Caller, subject: SubjectRef) {
    const hashes = await this.hashesOf(caller.tenantId, subject);
    const recorded = await withTenant(this.deps.db, caller.tenantId, (tx) =>
      this.recordGpcIn(tx, caller, subject, hashes),
    );
    const { current } = await this.consentsOf(caller, subject);
    return {
      recorded: recorded !== undefined,
      current: current.find((entry) => entry.purpose === 'sale_share'),
    };
  }

  async consentsOf(caller: Caller, subject: SubjectRef) {
    const hashes = await this.hashesOf(caller.tenantId, subject);
    const history = await withTenant(this.deps.db, caller.tenantId, (tx) =>
      tx
        .select()
        .from(consents)
        .where(sql`${consents.subjectHashes} && ${textArray(hashes.matching)}`)
        .orderBy(desc(consents.recordedAt)),
    );
    // The decision in force per purpose, with why: the Global Privacy Control rule for sale/share.
    const current = currentDecisions(history).map(({ entry, basis, overrides }) => ({
      ...entry,
      basis,
      overrides: overrides?.id,
    }));
    return { current, history };
  }

  async placeHold(caller: Caller, subject: SubjectRef, reason: string) {
    if (reason.trim().length < 3)
      throw invalidArgument('HOLD_INVALID', 'a legal hold needs a reason', [
        { field: 'reason', description: 'why the data must be kept' },
      ]);
    const hashes = await this.hashesOf(caller.tenantId, subject);
    return withTenant(this.deps.db, caller.tenantId, async (tx) => {
      const [hold] = await tx
        .insert(legalHolds)
        .values({
          id: randomUUID(),
          tenantId: caller.tenantId,
          subject: subject as Record<string, string>,
          subjectHashes: hashes.current,
          reason: reason.trim(),
          placedBy: caller.principal,
        })
        .returning();
      await this.deps.audit.append(tx, {
        tenantId: caller.tenantId,
        actor: caller.principal,
        action: 'legal_hold.placed',
        details: { holdId: hold!.id, reason: reason.trim() },
      });
      return hold!;
    });
  }

  async removeHold(caller: Caller, id: string) {
    return withTenant(this.deps.db, caller.tenantId, async (tx) => {
      const [hold] = isUuid(id)
        ? await tx
            .update(legalHolds)
            .set({ removedAt: this.now() })
            .where(and(eq(legalHolds.id, id), isNull(legalHolds.removedAt)))
            .returning()
        : [];
      if (!hold) throw notFound('LEGAL_HOLD_NOT_FOUND', `no active legal hold ${id}`);
      await this.deps.audit.append(tx, {
        tenantId: caller.tenantId,
        actor: caller.principal,
        action: 'legal_hold.removed',
        details: { holdId: id },
      });
      return hold;
    });
  }

  async holds(caller: Caller, includeRemoved: boolean) {
    return withTenant(this.deps.db, caller.tenantId, (tx) =>
      tx
        .select()
        .from(legalHolds)
        .where(includeRemoved ? undefined : isNull(legalHolds.removedAt))
        .orderBy(desc(legalHolds.placedAt)),
    );
  }

  async setPolicy(
    caller: Caller,
    participant: string,
    category: string,
    days: number,
    known: (participant: string, category: string) => Promise<boolean>,
  ) {
    if (!Number.isInteger(days) || days < 1 || days > 36_500) {
      throw invalidArgument('RETENTION_INVALID', 'days must be 1-36500', [
        { field: 'days', description: 'whole days, 1-36500' },
      ]);
    }
    if (!(await known(participant, category))) {
      throw invalidArgument('RETENTION_INVALID', `${participant} declares no category ${category}`, [
        { field: 'category', description: 'a category from the data map' },
      ]);
    }
    return withTenant(this.deps.db, caller.tenantId, async (tx) => {
      await tx
        .insert(retentionPolicies)
        .values({ tenantId: caller.tenantId, participant, category, days })
        .onConflictDoUpdate({
          target: [retentionPolicies.tenantId, retentionPolicies.participant, retentionPolicies.category],
          set: { days },
        });
      await this.deps.audit.append(tx, {
        tenantId: caller.tenantId,
        actor: caller.principal,
        action: 'retention.policy_set',
        details: { participant, category, days },
      });
      return { participant, category, days, isDefault: false };
    });
  }

  /**
   * The retention policies in force: each category's default as its participant declares it (those kept
   * while needed have none), overridden by the tenant's own policies.
   */
  async policies(tenantId: string, declared: DeclaredRetention[]) {
    const own = await withTenant(this.deps.db, tenantId, (tx) => tx.select().from(retentionPolicies));
    const merged = new Map(
      declared
        .filter((entry) => entry.defaultRetentionDays > 0)
        .map((entry) => [
          `${entry.participant}/${entry.category}`,
          { days: entry.defaultRetentionDays, isDefault: true },
        ]),
    );
    for (const row of own)
      merged.set(`${row.participant}/${row.category}`, { days: row.days, isDefault: false });
    return [...merged].map(([key, value]) => {
      const [participant, category] = key.split('/') as [string, string];
      return { participant, category, ...value };
    });
  }

  async recordBreach(
    caller: Caller,
    input: { description: string; discoveredAt?: Date; categories: string[]; subjectsAffected: number },
  ) {
    const violations = [];
    if (input.description.trim().length < 5)
      violations.push({ field: 'description', description: 'what happened, 5+ characters' });
    if (!input.discoveredAt || input.discoveredAt.getTime() > this.now().getTime() + 60_000) {
      violations.push({ field: 'discoveredAt', description: 'when it was discovered, not in the future' });
    }
    if (input.categories.length === 0)
      violations.push({ field: 'categories', description: 'at least one data category' });
    if (!Number.isInteger(input.subjectsAffected) || input.subjectsAffected < 0) {
      violations.push({ field: 'subjectsAffected', description: 'a whole number, 0 or more' });
    }
    if (violations.length > 0) {
      throw invalidArgument(
        'BREACH_INVALID',
        violations.map((v) => `${v.field}: ${v.description}`).join('; '),
        violations,
      );
    }
    const discoveredAt = input.discoveredAt!;
    return withTenant(this.deps.db, caller.tenantId, async (tx) => {
      const [breach] = await tx
        .insert(breaches)
        .values({
          id: randomUUID(),
          tenantId: caller.tenantId,
          description: input.description.trim(),
          discoveredAt,
          categories: input.categories,
          subjectsAffected: input.subjectsAffected,
          notifyBy: new Date(discoveredAt.getTime() + BREACH_NOTIFY_MS),
        })
        .returning();
      await this.deps.audit.append(tx, {
        tenantId: caller.tenantId,
        actor: caller.principal,
        action: 'breach.recorded',
        details: { breachId: breach!.id, notifyBy: breach!.notifyBy.toISOString() },
      });
      return breach!;
    });
  }

  async breachList(caller: Caller) {
    return withTenant(this.deps.db, caller.tenantId, (tx) =>
      tx.select().from(breaches).orderBy(desc(breaches.discoveredAt)),
    );
  }

  async markNotified(caller: Caller, id: string, at: Date) {
    return withTenant(this.deps.db, caller.tenantId, async (tx) => {
      const [current] = isUuid(id) ? await tx.select().from(breaches).where(eq(breaches.id, id)) : [];
      if (!current) throw notFound('BREACH_NOT_FOUND', `breach ${id} does not exist`);
      if (current.notifiedAt)
        throw failedPrecondition('BREACH_ALREADY_NOTIFIED', 'the authority was already notified');
      const [breach] = await tx
        .update(breaches)
        .set({ notifiedAt: at })
        .where(eq(breaches.id, id))
        .returning();
      await this.deps.audit.append(tx, {
        tenantId: caller.tenantId,
        actor: caller.principal,
        action: 'breach.notified',
        details: { breachId: id, late: at > current.notifyBy },
      });
      return breach!;
    });
  }

  breachStatus(breach: { notifyBy: Date; notifiedAt: Date | null }): string {
    if (breach.notifiedAt) return 'notified';
    const left = breach.notifyBy.getTime() - this.now().getTime();
    return left < 0 ? 'overdue' : left < 24 * 3_600_000 ? 'due_soon' : 'on_track';
  }
}
