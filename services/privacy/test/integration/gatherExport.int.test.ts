import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createLogger,
  serverStream,
  startGrpcServer,
  withTenant,
  type GrpcServer,
  type RpcContext,
} from '@parley/kit';
import { participantV1 } from '@parley/proto';
import { startService, type RunningService } from '../../../../tests/support/service';
import { tokensOf } from '../../../../tests/support/callers';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { makeGatherExport } from '../../src/archives/gatherExport';
import { ExportParts } from '../../src/db/exportParts';
import { Sealer } from '../../src/domain/sealing';
import { Participants } from '../../src/participants';

const TENANT = 'acme';
const ARCHIVE_KEY = 'test-archive-key-0123456789abcdefghijkl';
const silent = createLogger({ service: 'privacy-test', version: 'test', level: 'silent' });

/** Records `from`..`from + count - 1` of a category, as a participant streams them. */
const records = (category: string, from: number, count: number) =>
  Array.from({ length: count }, (_, n) => ({
    category,
    recordJson: JSON.stringify({ category, n: from + n }),
  }));
const page = (...pages: participantV1.ExportedRecord[][]): participantV1.ExportSubjectResponse => ({
  category: '',
  recordJson: '',
  records: pages.flat(),
});

/**
 * Participants on both sides of the change to pages: "legacy" sends one record per message in the
 * original fields, "paged" sends pages in `records`, "mixed" sends a single record and a page in one
 * message. Privacy must gather every record of each, in order, per category.
 */
const streams: Record<string, participantV1.ExportSubjectResponse[]> = {
  legacy: [...records('contacts', 0, 3), ...records('calls', 0, 2), ...records('contacts', 3, 2)].map(
    (record) => ({ ...record, records: [] }),
  ),
  paged: [page(records('contacts', 0, 3), records('calls', 0, 2)), page(records('contacts', 3, 2))],
  mixed: [
    { ...records('contacts', 0, 1)[0]!, records: [...records('contacts', 1, 2), ...records('calls', 0, 2)] },
    page(records('contacts', 3, 2)),
  ],
};

describe('gathering an export from participants old and new', () => {
  let service: RunningService<ReturnType<typeof buildApp>>;
  const servers: GrpcServer[] = [];
  let participants: Participants;
  const parts = new ExportParts(new Sealer(ARCHIVE_KEY));

  beforeAll(async () => {
    service = await startService('privacy-gather', (env) => buildApp(loadConfig(env)), {
      IDENTITY_ADDR: '127.0.0.1:1',
      PRIVACY_PARTICIPANTS: 'privacy=127.0.0.1:1',
      PRIVACY_ARCHIVE_KEY: ARCHIVE_KEY,
      DEADLINE_SCAN_CRON: 'off',
      RETENTION_RUN_AT: 'off',
    });
    const directory: Record<string, string> = {};
    for (const [name, messages] of Object.entries(streams)) {
      const server = await startGrpcServer({
        host: '127.0.0.1',
        port: 0,
        log: silent,
        services: [
          {
            name: 'parley.privacy.v1.ParticipantService',
            definition: participantV1.ParticipantServiceService,
            implementation: {
              exportSubject: serverStream(
                'ExportSubject',
                { log: silent, tokens: tokensOf('gateway') },
                async (
                  _context: RpcContext<participantV1.ExportSubjectRequest>,
                  send: (item: participantV1.ExportSubjectResponse) => Promise<void>,
                ) => {
                  for (const message of messages) await send(message);
                },
                { scope: 'internal' },
              ),
            },
          },
        ],
      });
      servers.push(server);
      directory[name] = `127.0.0.1:${server.port}`;
    }
    participants = new Participants(directory, tokensOf('privacy'));
  });
  afterAll(async () => {
    participants?.close();
    await Promise.all(servers.map((server) => server.shutdown(100)));
    await service?.stop();
  });

  it.each(Object.keys(streams))(
    'stores every record %s sends, in order, per category',
    async (participant) => {
      const requestId = randomUUID();
      const gather = makeGatherExport({ participants, parts });
      const part = { tenantId: TENANT, requestId, participant };
      const counts = await withTenant(service.app.runtime.db, TENANT, (tx) =>
        gather(tx, {
          ...part,
          subject: { accountIds: [], emails: ['a@example.com'], phones: [], userIds: [] },
        }),
      );
      const stored = await withTenant(service.app.runtime.db, TENANT, async (tx) => {
        const found: Record<string, unknown[]> = {};
        for (const category of (await parts.categories(tx, requestId, participant)).sort()) {
          found[category] = [];
          for await (const page of parts.pages(tx, { ...part, category })) found[category].push(...page);
        }
        return found;
      });
      // What the export receipt will say was exported: what was stored.
      expect(Object.fromEntries(counts)).toEqual({ contacts: 5, calls: 2 });
      expect(stored).toEqual({
        calls: [0, 1].map((n) => ({ category: 'calls', n })),
        contacts: [0, 1, 2, 3, 4].map((n) => ({ category: 'contacts', n })),
      });
    },
  );
});
