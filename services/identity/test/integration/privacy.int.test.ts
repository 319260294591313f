import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { describeParticipantConformance } from '../../../kit/src/privacy/conformance';
import { as, asPlatform, TEST_SUBJECT_HASH_KEY } from '../../../../tests/support/callers';
import { identityParticipant } from '../../src/privacy';
import { startIdentity } from './identityForTests';

describeParticipantConformance('identity (account profile, login facts)', async () => {
  const service = await startIdentity();
  const client = createClient(identityV1.IdentityServiceClient, service.address, {
    serviceName: 'parley.identity.v1.IdentityService',
  });
  await call(
    client,
    client.createTenant,
    {
      id: 'conf',
      name: 'Conformance',
      tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
      jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
      minimumAge: 0,
    },
    await asPlatform(),
  );
  const db = service.app.runtime.db;
  return {
    participant: identityParticipant({ idp: service.app.idp, realmOf: async () => 'parley' }),
    db,
    tenantId: 'conf',
    secret: TEST_SUBJECT_HASH_KEY,
    // The account API's own validation: identity refuses an email that is not one.
    refusedChanges: { email: 'not-an-email' },
    async seed(label) {
      const { account } = await call(
        client,
        client.createAccount,
        {
          profile: {
            fullName: `Person ${label}`,
            email: `${label}@conformance.example`,
            phone: '+447911123456',
            ageAttested: true,
            clearAddress: false,
          },
          password: 'a long enough password',
          roles: [],
          signupIp: '203.0.113.8',
          signupUserAgent: 'conformance',
        },
        await as('conf'),
      );
      const user = await withTenant(db, 'conf', (tx) =>
        tx.execute<{ idp_user_id: string }>(sql`select idp_user_id from accounts where id = ${account!.id}`),
      );
      return {
        accountIds: [account!.id],
        emails: [account!.email.toLowerCase()],
        phones: [],
        userIds: [user.rows[0]!.idp_user_id],
      };
    },
    async teardown() {
      client.close();
      await service.stop();
    },
  };
});
