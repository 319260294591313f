// `npm run bench:dsr`: data-subject requests at scale (issue 14, scenario 3). A handset with 100,000
// messages, 5,000 call records and 1,000 invoice lines: how long an access request takes until its archive
// is ready and an erasure until every participant's receipt is in; then an export of 1,000,000 records with
// the privacy and messaging processes' resident memory sampled throughout. See tools/bench/README.md.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { writeMicroResults } from './micro';
import { request, runOnPlatform, UNPACED_ENV, type BenchPlatform, type Dev } from './platform';
import { ensureMonths, monthsBack, seedCalls, seedInvoiceLines, seedMessages } from './seed';
import { mebibytes, treeRssBytes } from './stats';

const TARGET_RSS_MIB = 256;
const TARGET_RECORDS_PER_SECOND = 50_000;
/** Messaging exports a seeded message as two records (its metadata with history, and its content). */
const RECORDS_PER_MESSAGE = 2;
const SIZES = {
  full: { messages: 100_000, calls: 5_000, 'invoice-lines': 1_000, 'export-records': 1_000_000 },
  quick: { messages: 5_000, calls: 500, 'invoice-lines': 100, 'export-records': 40_000 },
};

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    messages: { type: 'string' },
    calls: { type: 'string' },
    'invoice-lines': { type: 'string' },
    'export-records': { type: 'string' },
    months: { type: 'string', default: '6' },
    'max-seconds': { type: 'string' },
    out: { type: 'string', default: join(__dirname, '..', 'results', 'dsr.json') },
  },
});
const preset = values.quick ? SIZES.quick : SIZES.full;
const settings = {
  quick: values.quick!,
  messages: Number(values.messages ?? preset.messages),
  calls: Number(values.calls ?? preset.calls),
  invoiceLines: Number(values['invoice-lines'] ?? preset['invoice-lines']),
  exportRecords: Number(values['export-records'] ?? preset['export-records']),
  months: Number(values.months),
  maxSeconds: Number(values['max-seconds'] ?? (values.quick ? 300 : 3600)),
};
for (const [name, value] of Object.entries(settings))
  if (typeof value === 'number' && (!Number.isInteger(value) || value < (name === 'months' ? 1 : 0)))
    throw new Error(`--${name}: a whole number is expected`);

/** The handsets of the two subjects (no tenant number: they are the people on the other side). */
const SUBJECT = '+447700900101';
const EXPORT_SUBJECT = '+447700900202';
/** The tenant's number the subjects wrote to and were written from. */
const TENANT_NUMBER = '+15550100001';

type PrivacyRequest = {
  id: string;
  state: string;
  archiveReady: boolean;
  waitingFor: string[];
  tasks: { participant: string; state: string; receipt: Record<string, number | string>[] }[];
};
const FINISHED = new Set(['completed', 'partially_completed', 'denied', 'cancelled']);

/** Files a request as the tenant's privacy officer (the demo owner key: verified by the filing). */
async function file(dev: Dev, type: 'access' | 'erasure', phone: string): Promise<PrivacyRequest> {
  return (await request(dev, 'POST', '/v1/privacy/requests', {
    type,
    subject: { phone },
    jurisdiction: 'gdpr',
  })) as unknown as PrivacyRequest;
}

/** Polls of a request the gateway could not answer (privacy busy or restarting), and the longest such spell. */
const unanswered = { polls: 0, longestSeconds: 0, statuses: {} as Record<string, number> };

/**
 * Polls the request every 250 ms until `done`. A poll the platform does not answer (a 5xx, no connection)
 * is counted in `unanswered` and tried again: a busy privacy process is a finding, not the end of the run.
 */
async function until(
  dev: Dev,
  id: string,
  done: (current: PrivacyRequest) => boolean,
  deadline: number,
): Promise<PrivacyRequest> {
  let failingSince: number | undefined;
  for (;;) {
    const response = await fetch(`${dev.gatewayUrl}/v1/privacy/requests/${id}`, {
      headers: { authorization: `Bearer ${dev.apiKey}` },
      signal: AbortSignal.timeout(30_000),
    }).catch(() => undefined);
    if (response?.ok) {
      failingSince = undefined;
      const current = (await response.json()) as PrivacyRequest;
      if (done(current)) return current;
      if (Date.now() > deadline)
        throw new Error(`request ${id} still ${current.state}, waiting for ${current.waitingFor.join(', ')}`);
    } else {
      if (response && response.status < 500) throw new Error(`GET request ${id}: ${response.status}`);
      const status = String(response?.status ?? 'no answer');
      unanswered.polls++;
      unanswered.statuses[status] = (unanswered.statuses[status] ?? 0) + 1;
      failingSince ??= performance.now();
      unanswered.longestSeconds = Math.max(
        unanswered.longestSeconds,
        (performance.now() - failingSince) / 1000,
      );
      if (Date.now() > deadline) throw new Error(`request ${id}: the platform stopped answering (${status})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The sum of one count over every receipt line of a request, and per participant. */
function receiptTotals(current: PrivacyRequest, field: string) {
  const perParticipant: Record<string, number> = {};
  for (const task of current.tasks)
    perParticipant[task.participant] = task.receipt.reduce((sum, line) => sum + Number(line[field] ?? 0), 0);
  return { total: Object.values(perParticipant).reduce((a, b) => a + b, 0), perParticipant };
}

/**
 * Downloads the request's archive through its link, as the requester; answers its size in bytes, or NaN
 * (and says why) when the platform does not hand it over: the timing is the result, the download a check.
 */
async function archiveBytes(dev: Dev, id: string): Promise<number> {
  try {
    const link = await request(dev, 'GET', `/v1/privacy/requests/${id}/archive`);
    const response = await fetch(`${dev.gatewayUrl}${String(link.url)}`, {
      headers: { authorization: `Bearer ${dev.apiKey}` },
    });
    if (!response.ok)
      throw new Error(`archive download: ${response.status} ${(await response.text()).slice(0, 300)}`);
    return (await response.arrayBuffer()).byteLength;
  } catch (error) {
    console.error(`archive of ${id} not downloaded: ${String(error)}`);
    return Number.NaN;
  }
}

/** Seeds the subject's data in messaging (messages, calls) and billing (invoice lines). */
async function seed(platform: BenchPlatform) {
  const tenantId = platform.dev.tenantId;
  const months = monthsBack(settings.months).reverse();
  const from = months[0]!;
  const to = new Date();
  const messaging = await platform.admin('messaging');
  const billing = await platform.admin('billing');
  try {
    const started = performance.now();
    for (const table of ['messages', 'message_status_history', 'calls', 'call_recordings'])
      await ensureMonths(messaging, table, months);
    await seedMessages(messaging, {
      tenantId,
      subjectSql: `'${SUBJECT}'`,
      tenantNumber: TENANT_NUMBER,
      count: settings.messages,
      from,
      to,
      history: true,
    });
    await seedCalls(messaging, {
      tenantId,
      subject: SUBJECT,
      tenantNumber: TENANT_NUMBER,
      count: settings.calls,
      from,
      to,
    });
    await seedInvoiceLines(billing, {
      tenantId,
      subject: SUBJECT,
      tenantNumber: TENANT_NUMBER,
      lines: settings.invoiceLines,
      months,
    });
    const subjectSeconds = (performance.now() - started) / 1000;
    const exportStarted = performance.now();
    await seedMessages(messaging, {
      tenantId,
      subjectSql: `'${EXPORT_SUBJECT}'`,
      tenantNumber: TENANT_NUMBER,
      count: Math.ceil(settings.exportRecords / RECORDS_PER_MESSAGE),
      from,
      to,
      history: true,
    });
    await messaging.query('analyze messages; analyze message_status_history; analyze calls');
    await billing.query('analyze invoices; analyze invoice_lines');
    return {
      subjectSeconds: round(subjectSeconds),
      exportSubjectSeconds: round((performance.now() - exportStarted) / 1000),
    };
  } finally {
    await messaging.end();
    await billing.end();
  }
}

/** What of the subject is left in messaging and billing, read directly (after an erasure: nothing named). */
async function leftOf(platform: BenchPlatform, phone: string) {
  const messaging = await platform.admin('messaging');
  const billing = await platform.admin('billing');
  const count = async (client: pg.Client, sql: string) =>
    Number((await client.query<{ n: string }>(sql, [phone])).rows[0]!.n);
  try {
    return {
      messages: await count(
        messaging,
        'select count(*) n from messages where from_e164 = $1 or to_e164 = $1',
      ),
      calls: await count(messaging, 'select count(*) n from calls where from_e164 = $1 or to_e164 = $1'),
      keptCalls: await count(
        messaging,
        'select count(*) n from kept_calls where from_e164 = $1 or to_e164 = $1',
      ),
      invoiceLinesNamingThem: await count(
        billing,
        'select count(*) n from invoice_lines where party_from = $1 or party_to = $1',
      ),
    };
  } finally {
    await messaging.end();
    await billing.end();
  }
}

const round = (value: number, places = 2) => Math.round(value * 10 ** places) / 10 ** places;

/**
 * The 1,000,000-record export: an access request about EXPORT_SUBJECT while the privacy and messaging
 * processes' RSS and the growth of privacy's export_records table (where gathered records wait for the
 * archive) are sampled every 250 ms.
 */
async function bigExport(platform: BenchPlatform, deadline: number) {
  const { dev } = platform;
  const pids = { privacy: platform.pidOf('privacy')!, messaging: platform.pidOf('messaging')! };
  const privacyDb = await platform.admin('privacy');
  const tableBytes = async () =>
    Number(
      (await privacyDb.query<{ n: string }>(`select pg_total_relation_size('export_records') n`)).rows[0]!.n,
    );
  const baseline = {
    privacy: treeRssBytes(pids.privacy),
    messaging: treeRssBytes(pids.messaging),
    bytes: await tableBytes(),
  };
  const samples: { s: number; privacy: number; messaging: number; bytes: number }[] = [];
  const started = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({
        s: (performance.now() - started) / 1000,
        privacy: treeRssBytes(pids.privacy),
        messaging: treeRssBytes(pids.messaging),
        bytes: await tableBytes(),
      });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  try {
    const filed = await file(dev, 'access', EXPORT_SUBJECT);
    const done = await until(
      dev,
      filed.id,
      (current) => current.archiveReady || FINISHED.has(current.state),
      deadline,
    );
    const seconds = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    const exported = receiptTotals(done, 'exported');
    // Records gathered over time: export_records' growth scaled to the records the receipts report (its rows
    // are inserted in the one transaction that then builds the archive, so they are never visible to count).
    const grown = Math.max(1, Math.max(...samples.map((sample) => sample.bytes)) - baseline.bytes);
    const gatheredAt = samples.find((sample) => sample.bytes - baseline.bytes >= grown)?.s ?? seconds;
    const peak = (name: 'privacy' | 'messaging') =>
      Math.max(baseline[name], ...samples.map((sample) => sample[name]));
    return {
      requestId: done.id,
      state: done.state,
      archiveReady: done.archiveReady,
      records: exported.total,
      recordsPerParticipant: exported.perParticipant,
      seconds: round(seconds),
      recordsPerSecond: Math.round(exported.total / seconds),
      gatheredSeconds: round(gatheredAt),
      archiveBytes: done.archiveReady ? await archiveBytes(dev, done.id) : Number.NaN,
      rssMiB: {
        privacy: { before: mebibytes(baseline.privacy), peak: mebibytes(peak('privacy')) },
        messaging: { before: mebibytes(baseline.messaging), peak: mebibytes(peak('messaging')) },
      },
      series: {
        recordsExported: [
          {
            unit: 'records',
            label: 'records gathered by privacy (from export_records growth)',
            points: samples.map((sample) => [
              round(sample.s),
              Math.round(((sample.bytes - baseline.bytes) / grown) * exported.total),
            ]),
          },
        ],
        rss: (['privacy', 'messaging'] as const).map((name) => ({
          unit: 'MiB',
          label: `${name} RSS`,
          points: samples.map((sample) => [round(sample.s), mebibytes(sample[name])]),
        })),
      },
    };
  } finally {
    sampling = false;
    await sampler;
    await privacyDb.end();
  }
}

async function run(platform: BenchPlatform): Promise<number> {
  const deadline = Date.now() + settings.maxSeconds * 1000;
  const { dev } = platform;
  console.log(
    `seeding ${settings.messages} messages, ${settings.calls} calls, ${settings.invoiceLines} invoice lines` +
      ` and ${settings.exportRecords} records for the export`,
  );
  const seeded = await seed(platform);
  console.log(`seeded in ${seeded.subjectSeconds} s + ${seeded.exportSubjectSeconds} s; access request`);

  let started = performance.now();
  const access = await file(dev, 'access', SUBJECT);
  const accessDone = await until(
    dev,
    access.id,
    (current) => current.archiveReady || FINISHED.has(current.state),
    deadline,
  );
  const accessSeconds = (performance.now() - started) / 1000;
  console.log(`access: ${accessDone.state} in ${round(accessSeconds)} s; erasure`);
  const accessArchiveBytes = accessDone.archiveReady ? await archiveBytes(dev, access.id) : Number.NaN;

  started = performance.now();
  const erasure = await file(dev, 'erasure', SUBJECT);
  const erasureDone = await until(
    dev,
    erasure.id,
    (current) => current.waitingFor.length === 0 && FINISHED.has(current.state),
    deadline,
  );
  const erasureSeconds = (performance.now() - started) / 1000;
  const left = await leftOf(platform, SUBJECT);
  console.log(
    `erasure: ${erasureDone.state} in ${round(erasureSeconds)} s; export of ${settings.exportRecords} records`,
  );

  const big = await bigExport(platform, deadline);
  const { series, ...exportFigures } = big;
  const peakRss = Math.max(big.rssMiB.privacy.peak, big.rssMiB.messaging.peak);
  const results = {
    settings,
    seedSeconds: seeded,
    access: {
      requestId: access.id,
      state: accessDone.state,
      seconds: round(accessSeconds),
      exported: receiptTotals(accessDone, 'exported'),
      archiveBytes: accessArchiveBytes,
    },
    erasure: {
      requestId: erasure.id,
      state: erasureDone.state,
      seconds: round(erasureSeconds),
      deleted: receiptTotals(erasureDone, 'deleted'),
      anonymised: receiptTotals(erasureDone, 'anonymised'),
      kept: receiptTotals(erasureDone, 'kept'),
      leftNamingTheSubject: left,
    },
    export: exportFigures,
    unansweredPolls: { ...unanswered, longestSeconds: round(unanswered.longestSeconds) },
    summary: {
      accessSeconds: round(accessSeconds),
      erasureSeconds: round(erasureSeconds),
      exportRecords: big.records,
      exportSeconds: big.seconds,
      exportRecordsPerSecond: big.recordsPerSecond,
      privacyPeakRssMiB: big.rssMiB.privacy.peak,
      messagingPeakRssMiB: big.rssMiB.messaging.peak,
    },
    targets: {
      privacyPeakRssMiB: { target: TARGET_RSS_MIB, met: big.rssMiB.privacy.peak < TARGET_RSS_MIB },
      messagingPeakRssMiB: { target: TARGET_RSS_MIB, met: big.rssMiB.messaging.peak < TARGET_RSS_MIB },
      exportRecordsPerSecond: {
        target: TARGET_RECORDS_PER_SECOND,
        met: big.recordsPerSecond >= TARGET_RECORDS_PER_SECOND,
      },
    },
    series,
  };
  const { series: _series, ...printed } = results;
  console.log(JSON.stringify(printed, null, 2));
  writeMicroResults(values.out!, 'dsr', results);
  const whole =
    accessDone.archiveReady &&
    big.archiveReady &&
    erasureDone.state !== 'denied' &&
    left.messages === 0 &&
    left.calls === 0 &&
    left.invoiceLinesNamingThem === 0;
  if (!whole) console.error('a request did not complete, or the erasure left data naming the subject');
  if (peakRss >= TARGET_RSS_MIB)
    console.error(`peak RSS ${peakRss} MiB: over the ${TARGET_RSS_MIB} MiB target`);
  return whole ? 0 : 1;
}

runOnPlatform('bench-dsr', UNPACED_ENV, settings.maxSeconds + 240, run);
