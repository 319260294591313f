import { decodePageToken, encodePageToken, pageSize, type RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import { subjectOf, type Ledger } from '../ledger';
import type { Scheduling } from '../scheduling';
import type { AuditLog } from '../db/audit';
import type { Participants } from '../participants';
import type { MailboxNotifier } from '../notifications';
import { toProtoTask } from './requestMessage';
import { failedPrecondition } from '@parley/kit';

type ConsentRow = Awaited<ReturnType<Ledger['recordConsent']>>[number] & {
  basis?: string;
  overrides?: string;
};
const toConsent = (row: ConsentRow): privacyV1.Consent => ({
  basis: row.basis ?? '',
  overrides: row.overrides ?? '',
  id: row.id,
  subjectJson: JSON.stringify(row.subject),
  purpose: row.purpose,
  granted: row.granted,
  method: row.method,
  textVersion: row.textVersion,
  recordedBy: row.recordedBy,
  recordedAt: row.recordedAt,
});

type HoldRow = Awaited<ReturnType<Ledger['placeHold']>>;
const toHold = (row: HoldRow): privacyV1.LegalHold => ({
  id: row.id,
  subjectJson: JSON.stringify(row.subject),
  reason: row.reason,
  placedBy: row.placedBy,
  placedAt: row.placedAt,
  removedAt: row.removedAt ?? undefined,
});

/** Consents, holds, retention, data map, audit, breaches and the dev mailbox. */
export function makeLedgerHandlers(deps: {
  ledger: Ledger;
  scheduling: Scheduling;
  audit: AuditLog;
  participants: Participants;
  mailbox?: MailboxNotifier;
}) {
  const { ledger } = deps;
  const toBreach = (row: Awaited<ReturnType<Ledger['recordBreach']>>): privacyV1.Breach => ({
    id: row.id,
    description: row.description,
    discoveredAt: row.discoveredAt,
    categories: row.categories,
    subjectsAffected: String(row.subjectsAffected),
    notifyBy: row.notifyBy,
    notifiedAt: row.notifiedAt ?? undefined,
    status: ledger.breachStatus(row),
  });
  const dataMap = (tenantId: string) => deps.participants.dataMap(tenantId);
  return {
    recordConsent: async ({ request, caller }: RpcContext<privacyV1.RecordConsentRequest>) => ({
      consents: (
        await ledger.recordConsent(caller, {
          subject: subjectOf(request.subject),
          purpose: request.purpose,
          granted: request.granted,
          method: request.method || 'api',
          textVersion: request.textVersion,
          gpc: request.globalPrivacyControl,
        })
      ).map(toConsent),
    }),
    recordGlobalPrivacyControl: async ({
      request,
      caller,
    }: RpcContext<privacyV1.RecordGlobalPrivacyControlRequest>) => {
      const { recorded, current } = await ledger.recordGlobalPrivacyControl(
        caller,
        subjectOf(request.subject),
      );
      return { recorded, current: current ? toConsent(current) : undefined };
    },
    listConsents: async ({ request, caller }: RpcContext<privacyV1.ListConsentsRequest>) => {
      const { current, history } = await ledger.consentsOf(caller, subjectOf(request.subject));
      return { current: current.map(toConsent), history: history.map(toConsent) };
    },
    placeLegalHold: async ({ request, caller }: RpcContext<privacyV1.PlaceLegalHoldRequest>) => ({
      hold: toHold(await ledger.placeHold(caller, subjectOf(request.subject), request.reason)),
    }),
    removeLegalHold: async ({ request, caller }: RpcContext<privacyV1.RemoveLegalHoldRequest>) => ({
      hold: toHold(await ledger.removeHold(caller, request.id)),
    }),
    listLegalHolds: async ({ request, caller }: RpcContext<privacyV1.ListLegalHoldsRequest>) => ({
      holds: (await ledger.holds(caller, request.includeRemoved)).map(toHold),
    }),
    setRetentionPolicy: async ({ request, caller }: RpcContext<privacyV1.SetRetentionPolicyRequest>) => ({
      policy: await ledger.setPolicy(
        caller,
        request.participant,
        request.category,
        request.days,
        async (participant, category) =>
          (await dataMap(caller.tenantId)).some(
            (entry) =>
              entry.participant === participant &&
              entry.categories.some((declared) => declared.id === category),
          ),
      ),
    }),
    listRetentionPolicies: async ({ caller }: RpcContext<privacyV1.ListRetentionPoliciesRequest>) => ({
      policies: await ledger.policies(
        caller.tenantId,
        await deps.participants.declaredRetention(caller.tenantId),
      ),
    }),
    runRetention: async ({ caller }: RpcContext<privacyV1.RunRetentionRequest>) => {
      const id = await deps.scheduling.runRetention(caller.tenantId, caller.principal);
      const run = (await deps.scheduling.runs(caller.tenantId)).find((entry) => entry.run.id === id);
      return { run: run ? toRun(run) : undefined };
    },
    listRetentionRuns: async ({ caller }: RpcContext<privacyV1.ListRetentionRunsRequest>) => ({
      runs: (await deps.scheduling.runs(caller.tenantId)).map(toRun),
    }),
    getDataMap: async ({ caller }: RpcContext<privacyV1.GetDataMapRequest>) => ({
      participants: await dataMap(caller.tenantId),
    }),
    listAudit: async ({ request, caller }: RpcContext<privacyV1.ListAuditRequest>) => {
      const size = pageSize(request.pageSize);
      const before = decodePageToken(request.pageToken);
      const rows = await deps.audit.list(
        caller.tenantId,
        size,
        before ? Number(before.id) : undefined,
        request.requestId || undefined,
      );
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      return {
        entries: page.map((row) => ({
          id: String(row.id),
          at: row.at,
          actor: row.actor,
          action: row.action,
          requestId: row.requestId ?? '',
          detailsJson: JSON.stringify(row.details),
          prevHash: row.prevHash,
          hash: row.hash,
        })),
        nextPageToken:
          rows.length > size && last ? encodePageToken({ at: last.at, id: String(last.id) }) : '',
      };
    },
    verifyAudit: async ({ caller }: RpcContext<privacyV1.VerifyAuditRequest>) => {
      const result = await deps.audit.verify(caller.tenantId);
      return {
        valid: result.valid,
        entries: String(result.entries),
        firstBrokenEntry: result.valid ? '' : result.firstBrokenEntry,
      };
    },
    recordBreach: async ({ request, caller }: RpcContext<privacyV1.RecordBreachRequest>) => ({
      breach: toBreach(
        await ledger.recordBreach(caller, {
          description: request.description,
          discoveredAt: request.discoveredAt,
          categories: request.categories,
          subjectsAffected: Number(request.subjectsAffected),
        }),
      ),
    }),
    listBreaches: async ({ caller }: RpcContext<privacyV1.ListBreachesRequest>) => ({
      breaches: (await ledger.breachList(caller)).map(toBreach),
    }),
    markBreachNotified: async ({ request, caller }: RpcContext<privacyV1.MarkBreachNotifiedRequest>) => ({
      breach: toBreach(await ledger.markNotified(caller, request.id, request.notifiedAt ?? new Date())),
    }),
    readMailbox: async ({ request, caller }: RpcContext<privacyV1.ReadMailboxRequest>) => {
      if (!deps.mailbox)
        throw failedPrecondition(
          'MAILBOX_DISABLED',
          'notices go out by SMTP here; there is no mailbox to read',
        );
      return {
        messages: (await deps.mailbox.read(caller.tenantId, request.to || undefined)).map((row) => ({
          to: row.toAddress,
          subject: row.subject,
          text: row.body,
          sentAt: row.sentAt,
        })),
      };
    },
  };
}

function toRun(entry: Awaited<ReturnType<Scheduling['runs']>>[number]): privacyV1.RetentionRun {
  return {
    id: entry.run.id,
    startedAt: entry.run.startedAt,
    state: entry.run.state,
    tasks: entry.tasks.map(toProtoTask),
  };
}
