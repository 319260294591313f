import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import {
  textArray,
  PrivacyAction,
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
  type Logger,
  type Outbox,
  type Transaction,
} from '@parley/kit';
import { participantV1 } from '@parley/proto';
import {
  archives,
  consents,
  legalHolds,
  requestTasks,
  subjectRequests,
  verificationCodes,
  type Identifiers,
  type RequestTaskRow,
  type SubjectRequestRow,
} from './db/schema';
import type { AuditLog } from './db/audit';
import type { Notifier } from './notifications';
import type { Participants } from './participants';
import { actionFor, consentsWithdrawnBy, openStates, type Submission } from './domain/requests';
import {
  acknowledgeBy,
  dueAt,
  extend,
  openClock,
  pause,
  resume,
  urgency,
  type Clock,
  type Jurisdiction,
} from './domain/clock';
import { loadRequest } from './db/requests';
import { IntakeLimits, type IntakeCaps } from './intakeLimits';
import { privacyParticipant } from './privacy';
import { emptyIdentifiers, sendTask } from './tasks';

export interface SubjectDirectory {
  /**
   * Every identifier the platform holds for the subject (identity's ResolveSubject); `found` is false when
   * the tenant holds no account for it (the identifiers are then just the one given).
   */
  resolve(tenantId: string, subject: Submission['subject']): Promise<Identifiers & { found: boolean }>;
  /** The tenant's default privacy law. */
  jurisdictionOf(tenantId: string): Promise<Jurisdiction>;
}

export interface WorkflowDeps {
  db: Database;
  outbox: Outbox;
  audit: AuditLog;
  notifier: Notifier;
  participants: Participants;
  subjects: SubjectDirectory;
  /** SUBJECT_HASH_KEY and the previous ones, for the keyed subject hashes every participant computes alike. */
  secret: SubjectHashKeys;
  log: Logger;
  codeTtlMs: number;
  /** Daily caps on requests, codes and guesses without privacy:write. */
  caps: IntakeCaps;
  now?: () => Date;
}

export interface RequestView {
  row: SubjectRequestRow;
  tasks: RequestTaskRow[];
  clock: Clock;
  dueAt: Date;
  urgency: string;
  acknowledgeBy?: Date;
  archiveReady: boolean;
}

const CODE_ATTEMPTS = 5;

function clockOf(row: SubjectRequestRow): Clock {
  return {
    jurisdiction: row.jurisdiction as Jurisdiction,
    receivedAt: row.receivedAt,
    baseDueAt: row.baseDueAt ?? row.dueAt,
    extended: row.extended,
    extensionReason: row.extensionReason ?? undefined,
    pausedAt: row.pausedAt ?? undefined,
    pausedMs: row.pausedMs,
  };
}

const userOf = (caller: Caller) =>
  caller.principal.startsWith('user:') ? caller.principal.slice('user:'.length) : undefined;

/** Whether the caller filed the request or is its subject (logged in as them). */
function isOwn(caller: Caller, row: SubjectRequestRow): boolean {
  const user = userOf(caller);
  return (
    row.requester === caller.principal ||
    (user !== undefined && row.identifiers.userIds?.includes(user) === true)
  );
}

/** The same as `isOwn`, as a condition on subject_requests. */
function ownedBy(caller: Caller) {
  const user = userOf(caller);
  return user === undefined
    ? eq(subjectRequests.requester, caller.principal)
    : sql`(${subjectRequests.requester} = ${caller.principal} or ${subjectRequests.identifiers} -> 'userIds' ? ${user})`;
}

const hashCode = (code: string) => createHash('sha256').update(code).digest();

/**
 * The life of a data-subject request: submission and verification, the legal clock, the fan-out of one
 * durable task per participant, and what callers see of it (the receipts coming back, the export archive
 * and completion are in receipts.ts). Every step
 * writes to the audit chain in the same transaction as the change it records.
 */
export class RequestWorkflow {
  private readonly limits: IntakeLimits;

  constructor(private readonly deps: WorkflowDeps) {
    this.limits = new IntakeLimits(() => this.now());
  }

  /** Counter keys for a subject: one keyed hash per identifier, so naming it another way counts the same. */
  private subjectKeys(tenantId: string, identifiers: Partial<Identifiers>): string[] {
    return identifierHashes(this.deps.secret, tenantId, { ...emptyIdentifiers, ...identifiers }).map(
      (hash) => `subject:${hash}`,
    );
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async submit(caller: Caller, submission: Submission): Promise<RequestView> {
    const { tenantId } = caller;
    const { found, ...identifiers } = await this.deps.subjects.resolve(tenantId, submission.subject);
    const jurisdiction = submission.jurisdiction ?? (await this.deps.subjects.jurisdictionOf(tenantId));
    const receivedAt = this.now();
    const clock = openClock(jurisdiction, receivedAt);
    const officer = grants(caller.scopes, 'privacy:write');
    const session =
      caller.principal.startsWith('user:') && identifiers.userIds.includes(caller.principal.slice(5));
    const verifiedBy = officer ? 'officer' : session ? 'session' : undefined;
    // Notices go to an address the tenant holds, never to one a requester typed in. A third party's request
    // about a subject the tenant does not hold sends nothing and answers exactly as for one it holds (the
    // same state, a code outstanding that nobody received), so requests cannot probe who is a customer.
    const contact = found || verifiedBy === 'officer' ? identifiers.emails[0] : undefined;
    const id = randomUUID();
    await withTenant(this.deps.db, tenantId, async (tx) => {
      if (!officer) {
        await this.limits.take(
          tx,
          tenantId,
          'requests',
          [`requester:${caller.principal}`],
          this.deps.caps.requestsPerRequester,
          {
            reason: 'PRIVACY_REQUEST_LIMIT',
            message: `at most ${this.deps.caps.requestsPerRequester} privacy requests a day without privacy:write; try again tomorrow (UTC)`,
          },
        );
      }
      if (!verifiedBy) {
        await this.limits.take(
          tx,
          tenantId,
          'codes',
          this.subjectKeys(tenantId, identifiers),
          this.deps.caps.codesPerSubject,
          {
            reason: 'PRIVACY_REQUEST_LIMIT',
            message: `at most ${this.deps.caps.codesPerSubject} requests a day about one subject need a code; try again tomorrow (UTC)`,
          },
        );
      }
      await tx.insert(subjectRequests).values({
        id,
        tenantId,
        type: submission.type,
        state: verifiedBy ? 'verified' : 'verifying',
        receivedAt,
        dueAt: clock.baseDueAt,
        baseDueAt: clock.baseDueAt,
        jurisdiction,
        subject: submission.subject as Record<string, string>,
        identifiers,
        changes: submission.changes ?? null,
        extended: false,
        pausedMs: 0,
        verifiedBy: verifiedBy ?? null,
        requester: caller.principal,
        overdueAnnounced: false,
      });
      await this.deps.audit.record(tx, tenantId, caller.principal, 'request.received', id, {
        type: submission.type,
        jurisdiction,
        dueAt: clock.baseDueAt.toISOString(),
        verifiedBy: verifiedBy ?? null,
      });
      const received = `We received your ${submission.type.replace('_', ' ')} request (${id}) and will answer by ${clock.baseDueAt.toISOString().slice(0, 10)}.${acknowledgeBy(clock) ? ` This confirms receipt as required by law.` : ''}`;
      if (verifiedBy) {
        if (contact) {
          await this.deps.notifier.send(tx, {
            tenantId,
            to: contact,
            subject: 'We received your privacy request',
            text: received,
          });
        }
        await this.dispatch(tx, tenantId, id, caller.principal);
      } else {
        // One message, the code with the acknowledgement, and only to a subject the tenant holds.
        await this.issueCode(tx, tenantId, id, contact, received);
      }
    });
    return this.view(tenantId, id);
  }

  /**
   * Stores a fresh code for the request and mails it to `to`; without `to` (a subject the tenant does not
   * hold) the code is stored all the same and sent to nobody, so verifying behaves alike either way.
   */
  private async issueCode(
    tx: Transaction,
    tenantId: string,
    requestId: string,
    to: string | undefined,
    received: string,
  ): Promise<void> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await tx
      .insert(verificationCodes)
      .values({
        tenantId,
        requestId,
        codeHash: hashCode(code).toString('hex'),
        sentTo: to ?? '',
        expiresAt: new Date(this.now().getTime() + this.deps.codeTtlMs),
        attempts: 0,
      })
      .onConflictDoUpdate({
        target: verificationCodes.requestId,
        set: {
          codeHash: hashCode(code).toString('hex'),
          expiresAt: new Date(this.now().getTime() + this.deps.codeTtlMs),
          attempts: 0,
          sentAt: this.now(),
        },
      });
    if (to) {
      await this.deps.notifier.send(tx, {
        tenantId,
        to,
        subject: 'Your verification code',
        text: `${received} Your code to confirm privacy request ${requestId} is ${code}. It expires in ${Math.round(this.deps.codeTtlMs / 60_000)} minutes.`,
      });
    }
    // The same entry either way: the audit log is readable by the tenant's officers, not the requester,
    // but it must not tell a code that went out from one that did not either.
    await this.deps.audit.record(tx, tenantId, 'service:privacy', 'verification.code_sent', requestId, {});
  }

  async verify(caller: Caller, id: string, code: string): Promise<RequestView> {
    await withTenant(this.deps.db, caller.tenantId, async (tx) => {
      const row = await this.loadForChange(tx, caller.tenantId, id);
      if (row.state !== 'verifying')
        throw failedPrecondition('NOT_AWAITING_VERIFICATION', `request ${id} is ${row.state}`);
      const [outstanding] = await tx
        .select()
        .from(verificationCodes)
        .where(eq(verificationCodes.requestId, id));
      if (!outstanding)
        throw failedPrecondition('NOT_AWAITING_VERIFICATION', `request ${id} has no code outstanding`);
      if (outstanding.expiresAt.getTime() < this.now().getTime())
        throw failedPrecondition('CODE_EXPIRED', 'the code has expired; submit the request again');
      // Guesses are capped per day across every request about the subject and every request of the
      // requester, so resubmitting buys no fresh guesses beyond the cap.
      await this.limits.take(
        tx,
        caller.tenantId,
        'attempts',
        [`requester:${caller.principal}`, ...this.subjectKeys(caller.tenantId, row.identifiers)],
        this.deps.caps.attemptsPerDay,
        {
          reason: 'VERIFICATION_LIMIT',
          message: `at most ${this.deps.caps.attemptsPerDay} code guesses a day; try again tomorrow (UTC)`,
        },
      );
      // The attempt is spent before the code is compared, in one conditional update: parallel guesses
      // queue on the row, and at most CODE_ATTEMPTS of them are ever compared.
      const [stored] = await tx
        .update(verificationCodes)
        .set({ attempts: sql`${verificationCodes.attempts} + 1` })
        .where(and(eq(verificationCodes.requestId, id), lt(verificationCodes.attempts, CODE_ATTEMPTS)))
        .returning();
      if (!stored) {
        throw permissionDenied(
          'VERIFICATION_LOCKED',
          'too many wrong codes; the request must be submitted again',
        );
      }
      const expected = Buffer.from(stored.codeHash, 'hex');
      const ok = /^\d{6}$/.test(code) && timingSafeEqual(expected, hashCode(code));
      if (!ok) {
        await this.deps.audit.record(tx, caller.tenantId, caller.principal, 'verification.failed', id, {
          attempts: stored.attempts,
        });
        return;
      }
      await tx.delete(verificationCodes).where(eq(verificationCodes.requestId, id));
      await tx
        .update(subjectRequests)
        .set({ state: 'verified', verifiedBy: 'code' })
        .where(eq(subjectRequests.id, id));
      await this.deps.audit.record(tx, caller.tenantId, caller.principal, 'request.verified', id, {
        by: 'code',
      });
      await this.dispatch(tx, caller.tenantId, id, caller.principal);
    });
    const view = await this.view(caller.tenantId, id);
    if (view.row.state === 'verifying')
      throw invalidArgument('CODE_INVALID', 'the code is not right', [
        { field: 'code', description: 'the 6-digit code sent to the subject' },
      ]);
    return view;
  }

  /** Carries out a verified request: one durable task per participant, and for objections ledger entries. */
  private async dispatch(tx: Transaction, tenantId: string, id: string, actor: string): Promise<void> {
    const row = await this.load(tx, id);
    const type = row.type as Submission['type'];
    const withdrawn = consentsWithdrawnBy(type);
    const identifiers = { ...emptyIdentifiers, ...row.identifiers };
    const hashes = identifierHashes(this.deps.secret, tenantId, identifiers);
    if (withdrawn.length > 0) {
      for (const purpose of withdrawn) {
        await tx.insert(consents).values({
          id: randomUUID(),
          tenantId,
          subject: row.subject,
          subjectHashes: hashes,
          purpose,
          granted: false,
          method: 'privacy_request',
          textVersion: `request:${id}`,
          recordedBy: actor,
        });
      }
      await this.deps.audit.record(tx, tenantId, actor, 'consents.withdrawn', id, { purposes: withdrawn });
    }
    // The ledger now says what the subject wants; every participant is told to stop, and says what stopped.
    const action = actionFor(type);
    let hold: string | undefined;
    if (action === PrivacyAction.PRIVACY_ACTION_ERASE) {
      const holds = await tx
        .select()
        .from(legalHolds)
        .where(
          and(
            isNull(legalHolds.removedAt),
            sql`${legalHolds.subjectHashes} && ${textArray(matchingHashes(this.deps.secret, tenantId, identifiers))}`,
          ),
        );
      hold = holds.map((entry) => entry.reason).join('; ') || undefined;
    }
    for (const participant of this.deps.participants.names) {
      await tx
        .insert(requestTasks)
        .values({ tenantId, requestId: id, participant, action, state: 'pending' });
      // Privacy's own copy of a corrected value (the consent records) follows the holders: its task is
      // sent once every other participant has applied the correction (see releaseOwnRectification).
      if (action === PrivacyAction.PRIVACY_ACTION_RECTIFY && participant === privacyParticipant.name)
        continue;
      await sendTask(this.deps.outbox, tx, { tenantId, row, participant, action, hold, purposes: withdrawn });
    }
    await tx
      .update(subjectRequests)
      .set({ state: 'in_progress', reason: hold ? `legal hold: ${hold}` : null })
      .where(eq(subjectRequests.id, id));
    await this.deps.audit.record(tx, tenantId, actor, 'request.dispatched', id, {
      action: participantV1.PrivacyAction[action],
      participants: this.deps.participants.names,
      legalHold: hold ? true : false,
    });
  }

  /**
   * The request, for a change that will be audited: the tenant's audit chain is locked first, the order in
   * which receipts take the two (see AuditLog.lockChain).
   */
  private async loadForChange(tx: Transaction, tenantId: string, id: string): Promise<SubjectRequestRow> {
    await this.deps.audit.lockChain(tx, tenantId);
    return this.load(tx, id);
  }

  private load(tx: Transaction, id: string): Promise<SubjectRequestRow> {
    return loadRequest(tx, id);
  }

  /**
   * A request as `caller` may see it: a privacy officer (privacy:read) any of the tenant's, anyone else
   * only one they filed or that is about them (their session's user); others' answer not found, so that
   * request ids reveal nothing.
   */
  async viewFor(caller: Caller, id: string): Promise<RequestView> {
    const view = await this.view(caller.tenantId, id);
    if (!grants(caller.scopes, 'privacy:read') && !isOwn(caller, view.row)) {
      throw notFound('PRIVACY_REQUEST_NOT_FOUND', `privacy request ${id} does not exist`);
    }
    return view;
  }

  /**
   * The request with its tasks and whether its archive can be had, all as of one moment (one snapshot):
   * the archive is ready only once the request it answers has completed, which commits with it.
   */
  async view(tenantId: string, id: string): Promise<RequestView> {
    return withTenant(
      this.deps.db,
      tenantId,
      async (tx) => {
        const row = await this.load(tx, id);
        const tasks = await tx
          .select()
          .from(requestTasks)
          .where(eq(requestTasks.requestId, id))
          .orderBy(asc(requestTasks.participant));
        const [archive] = await tx
          .select({ id: archives.requestId })
          .from(archives)
          .where(eq(archives.requestId, id));
        return this.toView(row, tasks, Boolean(archive) && !openStates.includes(row.state));
      },
      { isolationLevel: 'repeatable read' },
    );
  }

  toView(row: SubjectRequestRow, tasks: RequestTaskRow[], archiveReady: boolean): RequestView {
    const clock = clockOf(row);
    const now = this.now();
    const open = openStates.includes(row.state);
    return {
      row,
      tasks,
      clock,
      dueAt: dueAt(clock, now),
      urgency: open ? urgency(clock, now) : 'on_track',
      acknowledgeBy: acknowledgeBy(clock),
      archiveReady,
    };
  }

  async list(
    tenantId: string,
    filters: {
      /** Only the requests this caller filed or that are about them (a caller without privacy:read). */
      ownedBy?: Caller;
      state?: string;
      type?: string;
      overdue?: boolean;
      size: number;
      before?: { at: Date; id: string };
    },
  ) {
    return withTenant(this.deps.db, tenantId, async (tx) => {
      const rows = await tx
        .select()
        .from(subjectRequests)
        .where(
          and(
            filters.state ? eq(subjectRequests.state, filters.state) : undefined,
            filters.type ? eq(subjectRequests.type, filters.type) : undefined,
            filters.overdue
              ? and(inArray(subjectRequests.state, openStates), sql`${subjectRequests.dueAt} < now()`)
              : undefined,
            filters.ownedBy ? ownedBy(filters.ownedBy) : undefined,
            filters.before
              ? sql`(${subjectRequests.receivedAt}, ${subjectRequests.id}) < (${filters.before.at}, ${filters.before.id})`
              : undefined,
          ),
        )
        .orderBy(desc(subjectRequests.receivedAt), desc(subjectRequests.id))
        .limit(filters.size + 1);
      const ids = rows.map((row) => row.id);
      const tasks =
        ids.length > 0
          ? await tx.select().from(requestTasks).where(inArray(requestTasks.requestId, ids))
          : [];
      return rows.map((row) =>
        this.toView(
          row,
          tasks.filter((task) => task.requestId === row.id),
          false,
        ),
      );
    });
  }

  /** Applies a clock change (extend, pause, resume) and records it. */
  async changeClock(
    caller: Caller,
    id: string,
    change: 'extend' | 'pause' | 'resume',
    reason: string,
  ): Promise<RequestView> {
    await withTenant(this.deps.db, caller.tenantId, async (tx) => {
      const row = await this.loadForChange(tx, caller.tenantId, id);
      if (!openStates.includes(row.state))
        throw failedPrecondition('REQUEST_CLOSED', `request ${id} is ${row.state}`);
      const now = this.now();
      const before = clockOf(row);
      const after =
        change === 'extend'
          ? extend(before, reason, now)
          : change === 'pause'
            ? pause(before, now)
            : resume(before, now);
      await tx
        .update(subjectRequests)
        .set({
          extended: after.extended,
          extensionReason: after.extensionReason ?? null,
          baseDueAt: after.baseDueAt,
          pausedAt: after.pausedAt ?? null,
          pausedMs: after.pausedMs,
          dueAt: dueAt(after, now),
          overdueAnnounced: false,
        })
        .where(eq(subjectRequests.id, id));
      await this.deps.audit.record(
        tx,
        caller.tenantId,
        caller.principal,
        `request.${change === 'extend' ? 'extended' : change === 'pause' ? 'paused' : 'resumed'}`,
        id,
        {
          reason: reason || null,
          dueAt: dueAt(after, now).toISOString(),
        },
      );
      const contact = row.identifiers.emails?.[0];
      if (change === 'extend' && contact) {
        await this.deps.notifier.send(tx, {
          tenantId: caller.tenantId,
          to: contact,
          subject: 'Your privacy request needs more time',
          text: `We need more time to answer request ${id}: ${reason}. The new deadline is ${dueAt(after, now).toISOString().slice(0, 10)}.`,
        });
      }
    });
    return this.view(caller.tenantId, id);
  }

  async cancel(caller: Caller, id: string, reason: string): Promise<RequestView> {
    await withTenant(this.deps.db, caller.tenantId, async (tx) => {
      const row = await this.loadForChange(tx, caller.tenantId, id);
      if (!['received', 'verifying', 'verified'].includes(row.state)) {
        throw failedPrecondition(
          'REQUEST_NOT_CANCELLABLE',
          `request ${id} is ${row.state} and can no longer be cancelled`,
        );
      }
      await tx
        .update(subjectRequests)
        .set({ state: 'cancelled', reason: reason || 'cancelled' })
        .where(eq(subjectRequests.id, id));
      await tx.delete(verificationCodes).where(eq(verificationCodes.requestId, id));
      await this.deps.audit.record(tx, caller.tenantId, caller.principal, 'request.cancelled', id, {
        reason: reason || null,
      });
    });
    return this.view(caller.tenantId, id);
  }
}
