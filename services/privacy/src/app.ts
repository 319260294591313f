import { call, createClient, locateAssets, ServiceRuntime, type App } from '@parley/kit';
import { identityV1, privacyV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { AuditLog } from './db/audit';
import { MailboxNotifier, SmtpNotifier, type Notifier } from './notifications';
import { Participants, parseDirectory } from './participants';
import { Sealer } from './domain/sealing';
import type { Jurisdiction } from './domain/clock';
import { RequestWorkflow, type SubjectDirectory } from './workflow';
import { Receipts } from './receipts';
import { Ledger } from './ledger';
import { Scheduling } from './scheduling';
import { retentionCron } from './domain/retentionSchedule';
import { privacyParticipant } from './privacy';
import { onReceiptSubmitted } from './events/consumers/receiptSubmitted';
import { makeLedgerHandlers } from './rpc/ledger';
import { makeSubmitRequest } from './rpc/submitRequest';
import { makeVerifyRequest } from './rpc/verifyRequest';
import { makeGetRequest } from './rpc/getRequest';
import { makeListRequests } from './rpc/listRequests';
import { makeExtendRequest } from './rpc/extendRequest';
import { makePauseRequest } from './rpc/pauseRequest';
import { makeResumeRequest } from './rpc/resumeRequest';
import { makeCancelRequest } from './rpc/cancelRequest';
import { makeCreateArchiveLink } from './rpc/createArchiveLink';
import { makeDownloadArchive } from './rpc/downloadArchive';
import { ExportParts } from './db/exportParts';
import { ArchiveStore } from './db/archiveStore';
import { makeGatherExport } from './archives/gatherExport';
import { makeAssembleArchive } from './archives/assembleArchive';
import { makeCreateArchiveLink as makeLinks, makeOpenArchive } from './archives/archiveAccess';

export interface PrivacyApp extends App {
  runtime: ServiceRuntime;
  workflow: RequestWorkflow;
  scheduling: Scheduling;
}

const jurisdictions: Record<number, Jurisdiction> = { 1: 'gdpr', 2: 'uk_gdpr', 3: 'ccpa', 4: 'other' };

/** Composition root: runtime, identity client, participants, notifier, then the workflow and handlers. */
export function buildApp(config: Config, overrides: { now?: () => Date } = {}): PrivacyApp {
  const runtime = new ServiceRuntime({
    service: 'privacy',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.privacy],
  });
  const { db, outbox, log, tokens } = runtime;
  const identity = createClient(identityV1.IdentityServiceClient, config.IDENTITY_ADDR, {
    serviceName: 'parley.identity.v1.IdentityService',
    idempotentMethods: ['ResolveSubject', 'GetTenant', 'ListTenants'],
  });
  // Privacy calls other services as itself, with the internal scope: the only caller its key may assert.
  const internal = (tenantId: string) =>
    runtime.metadataFor({ tenantId, principal: 'service:privacy', scopes: ['internal'] });
  const subjects: SubjectDirectory = {
    async resolve(tenantId, subject) {
      const found = await call(
        identity,
        identity.resolveSubject,
        {
          accountId: subject.accountId ?? '',
          email: subject.email ?? '',
          phone: subject.phone ?? '',
        },
        { metadata: await internal(tenantId) },
      );
      return {
        found: found.found,
        accountIds: found.accountIds,
        emails: found.emails,
        phones: found.phones,
        userIds: found.userIds,
      };
    },
    async jurisdictionOf(tenantId) {
      const { tenant } = await call(
        identity,
        identity.getTenant,
        { id: tenantId },
        { metadata: await internal(tenantId) },
      );
      return jurisdictions[tenant?.jurisdiction ?? 0] ?? 'gdpr';
    },
  };
  const participants = new Participants(parseDirectory(config.PRIVACY_PARTICIPANTS), tokens);
  const mailbox = config.NOTIFICATIONS === 'mailbox' ? new MailboxNotifier(db) : undefined;
  const smtp = mailbox
    ? undefined
    : new SmtpNotifier({
        db,
        jobs: runtime.jobs,
        url: config.SMTP_URL ?? '',
        from: config.NOTIFICATION_FROM,
      });
  const notifier: Notifier = mailbox ?? smtp!;
  const audit = new AuditLog(db);
  const secret = runtime.subjectHashKeys;
  const sealer = new Sealer(config.PRIVACY_ARCHIVE_KEY);
  const parts = new ExportParts(sealer);
  const store = new ArchiveStore(db, sealer);
  const archiveAccess = {
    db,
    audit,
    store,
    linkTtlMs: config.ARCHIVE_LINK_TTL_MINUTES * 60_000,
    now: overrides.now,
  };
  const workflow = new RequestWorkflow({
    db,
    outbox,
    audit,
    notifier,
    participants,
    subjects,
    secret,
    log,
    codeTtlMs: config.VERIFICATION_CODE_TTL_MINUTES * 60_000,
    caps: {
      requestsPerRequester: config.PRIVACY_REQUESTS_PER_REQUESTER_PER_DAY,
      codesPerSubject: config.PRIVACY_CODES_PER_SUBJECT_PER_DAY,
      attemptsPerDay: config.VERIFICATION_ATTEMPTS_PER_DAY,
    },
    now: overrides.now,
  });
  const receipts = new Receipts({
    outbox,
    audit,
    notifier,
    parts,
    gatherExport: makeGatherExport({ participants, parts }),
    assembleArchive: makeAssembleArchive({ parts, store }),
    now: overrides.now,
  });
  const ledger = new Ledger({ db, audit, subjects, secret, now: overrides.now });
  const scheduling = new Scheduling({
    db,
    outbox,
    audit,
    ledger,
    participants,
    log,
    jobs: runtime.jobs,
    retentionCron: retentionCron(config),
    retentionRetryDelaySeconds: config.RETENTION_RETRY_DELAY_SECONDS,
    deadlineCron: config.DEADLINE_SCAN_CRON === 'off' ? undefined : config.DEADLINE_SCAN_CRON,
    now: overrides.now,
    tenants: async () => {
      const ids: string[] = [];
      let pageToken = '';
      do {
        const page = await call(
          identity,
          identity.listTenants,
          { pageSize: 100, pageToken },
          {
            metadata: await internal(''),
          },
        );
        ids.push(...page.tenants.filter((tenant) => tenant.id !== 'platform').map((tenant) => tenant.id));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return ids;
    },
  });
  const ledgerHandlers = makeLedgerHandlers({ ledger, scheduling, audit, participants, mailbox });
  const rpc = runtime.unary.bind(runtime);
  const stream = runtime.serverStream.bind(runtime);
  const read = { scope: 'privacy:read' } as const;
  const write = { scope: 'privacy:write' } as const;
  const ownOrRead = { scope: ['profile', 'privacy:read'] } as const;
  const implementation: privacyV1.PrivacyServiceServer = {
    // Subjects submit and verify their own requests (self-service); officers and partners too.
    submitRequest: rpc('SubmitRequest', makeSubmitRequest({ workflow }), { scope: 'profile' }),
    verifyRequest: rpc('VerifyRequest', makeVerifyRequest({ workflow }), { scope: 'profile' }),
    // A subject reads their own requests; privacy:read reads every one of the tenant's (see viewFor).
    getRequest: rpc('GetRequest', makeGetRequest({ workflow }), ownOrRead),
    listRequests: rpc('ListRequests', makeListRequests({ workflow }), ownOrRead),
    extendRequest: rpc('ExtendRequest', makeExtendRequest({ workflow }), write),
    pauseRequest: rpc('PauseRequest', makePauseRequest({ workflow }), write),
    resumeRequest: rpc('ResumeRequest', makeResumeRequest({ workflow }), write),
    cancelRequest: rpc('CancelRequest', makeCancelRequest({ workflow }), write),
    createArchiveLink: rpc(
      'CreateArchiveLink',
      makeCreateArchiveLink({ createLink: makeLinks(archiveAccess) }),
      { scope: 'profile' },
    ),
    // The link token and the requester's own credentials together open the archive.
    downloadArchive: stream(
      'DownloadArchive',
      makeDownloadArchive({ openArchive: makeOpenArchive(archiveAccess) }),
      {
        scope: 'profile',
      },
    ),
    recordConsent: rpc('RecordConsent', ledgerHandlers.recordConsent, { scope: 'profile' }),
    listConsents: rpc('ListConsents', ledgerHandlers.listConsents, read),
    // The gateway reports the Global Privacy Control signal it sees on a subject's requests.
    recordGlobalPrivacyControl: rpc('RecordGlobalPrivacyControl', ledgerHandlers.recordGlobalPrivacyControl, {
      scope: 'internal',
    }),
    placeLegalHold: rpc('PlaceLegalHold', ledgerHandlers.placeLegalHold, write),
    removeLegalHold: rpc('RemoveLegalHold', ledgerHandlers.removeLegalHold, write),
    listLegalHolds: rpc('ListLegalHolds', ledgerHandlers.listLegalHolds, read),
    setRetentionPolicy: rpc('SetRetentionPolicy', ledgerHandlers.setRetentionPolicy, write),
    listRetentionPolicies: rpc('ListRetentionPolicies', ledgerHandlers.listRetentionPolicies, read),
    runRetention: rpc('RunRetention', ledgerHandlers.runRetention, write),
    listRetentionRuns: rpc('ListRetentionRuns', ledgerHandlers.listRetentionRuns, read),
    getDataMap: rpc('GetDataMap', ledgerHandlers.getDataMap, read),
    listAudit: rpc('ListAudit', ledgerHandlers.listAudit, read),
    verifyAudit: rpc('VerifyAudit', ledgerHandlers.verifyAudit, read),
    recordBreach: rpc('RecordBreach', ledgerHandlers.recordBreach, write),
    listBreaches: rpc('ListBreaches', ledgerHandlers.listBreaches, read),
    markBreachNotified: rpc('MarkBreachNotified', ledgerHandlers.markBreachNotified, write),
    readMailbox: rpc('ReadMailbox', ledgerHandlers.readMailbox, read),
  };
  return {
    runtime,
    workflow,
    scheduling,
    start: async () => {
      await scheduling.register();
      await smtp?.register();
      await runtime.start({
        grpcServices: [
          {
            name: 'parley.privacy.v1.PrivacyService',
            definition: privacyV1.PrivacyServiceService,
            implementation,
          },
        ],
        consumers: [onReceiptSubmitted({ receipts })],
        participant: privacyParticipant,
      });
      await scheduling.catchUp();
    },
    stop: async () => {
      // The runtime lets a job in hand finish first, and it may still call identity and participants.
      await runtime.stop();
      participants.close();
      identity.close();
      smtp?.close();
    },
    migrate: () => runtime.migrate(),
  };
}
