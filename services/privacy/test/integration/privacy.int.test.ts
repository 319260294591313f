import { randomUUID } from 'node:crypto';
import { identifierHashes, withTenant } from '@parley/kit';
import { describeParticipantConformance } from '../../../kit/src/privacy/conformance';
import { startService } from '../../../../tests/support/service';
import { TEST_SUBJECT_HASH_KEY } from '../../../../tests/support/callers';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { archiveLinks, archives, consents, subjectRequests } from '../../src/db/schema';
import { privacyParticipant } from '../../src/privacy';

describeParticipantConformance('privacy (consent records, requests)', async () => {
  const service = await startService('privacy', (env) => buildApp(loadConfig(env)), {
    IDENTITY_ADDR: '127.0.0.1:1',
    PRIVACY_PARTICIPANTS: 'privacy=127.0.0.1:1',
    PRIVACY_ARCHIVE_KEY: 'test-archive-key-0123456789abcdefghijkl',
    DEADLINE_SCAN_CRON: 'off',
    RETENTION_RUN_AT: 'off',
  });
  const db = service.app.runtime.db;
  return {
    participant: privacyParticipant,
    db,
    tenantId: 'acme',
    secret: TEST_SUBJECT_HASH_KEY,
    async seed(label) {
      const subject = {
        accountIds: [randomUUID()],
        emails: [`${label}@privacy.example`],
        phones: [],
        userIds: [],
      };
      await withTenant(db, 'acme', async (tx) => {
        await tx.insert(consents).values({
          id: randomUUID(),
          tenantId: 'acme',
          subject: { email: subject.emails[0]! },
          subjectHashes: identifierHashes(TEST_SUBJECT_HASH_KEY, 'acme', subject),
          purpose: 'marketing_email',
          granted: true,
          method: 'api',
          textVersion: 'v1',
          recordedBy: 'test',
        });
        const requestId = randomUUID();
        await tx.insert(subjectRequests).values({
          id: requestId,
          tenantId: 'acme',
          type: 'access',
          state: 'completed',
          dueAt: new Date(),
          jurisdiction: 'gdpr',
          subject: { email: subject.emails[0]! },
          identifiers: subject,
          extended: false,
          pausedMs: 0,
          requester: 'test',
          overdueAnnounced: false,
        });
        // The access request's sealed archive, and a link to it.
        await tx.insert(archives).values({
          tenantId: 'acme',
          requestId,
          sealed: Buffer.from('sealed archive'),
          manifest: {},
          requester: 'test',
        });
        await tx
          .insert(archiveLinks)
          .values({ tokenHash: randomUUID(), tenantId: 'acme', requestId, expiresAt: new Date() });
      });
      return subject;
    },
    teardown: () => service.stop(),
  };
});
