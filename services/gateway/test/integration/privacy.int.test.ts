import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { withTenant } from '@parley/kit';
import { describeParticipantConformance } from '../../../kit/src/privacy/conformance';
import { startService } from '../../../../tests/support/service';
import { TEST_SUBJECT_HASH_KEY } from '../../../../tests/support/callers';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { gatewayParticipant } from '../../src/privacy';

describeParticipantConformance('gateway (access log)', async () => {
  const service = await startService('gateway', (env) => buildApp(loadConfig(env)), {
    PORT: '0',
    HOST: '127.0.0.1',
    IDENTITY_ADDR: '127.0.0.1:1',
    NUMBERING_ADDR: '127.0.0.1:1',
    MESSAGING_ADDR: '127.0.0.1:1',
    BILLING_ADDR: '127.0.0.1:1',
    PRIVACY_ADDR: '127.0.0.1:1',
  });
  const db = service.app.runtime.db;
  return {
    participant: gatewayParticipant,
    db,
    tenantId: 'acme',
    secret: TEST_SUBJECT_HASH_KEY,
    async seed() {
      const user = randomUUID();
      await withTenant(db, 'acme', (tx) =>
        tx.execute(sql`insert into access_log (tenant_id, principal, method, route, status, duration_ms, ip, user_agent)
                       values ('acme', ${`user:${user}`}, 'GET', '/v1/tenant', 200, 3, '203.0.113.5', 'Mozilla/5.0'),
                              ('acme', ${`user:${user}`}, 'GET', '/v1/accounts/me', 200, 4, '203.0.113.5', 'Mozilla/5.0')`),
      );
      return { accountIds: [], emails: [], phones: [], userIds: [user] };
    },
    teardown: () => service.stop(),
  };
});
