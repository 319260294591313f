// Numbering as a privacy participant: the kit's conformance suite, and erasure per the tenant's policy.
import { describe, expect, it, afterAll, beforeAll } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { withTenant, type SubjectIdentifiers } from '@parley/kit';
import { describeParticipantConformance } from '../../../kit/src/privacy/conformance';
import { TEST_SUBJECT_HASH_KEY } from '../../../../tests/support/callers';
import { startCarrierSim, type CarrierSimHandle } from '../../../../tests/support/carrierSim';
import { startService, type RunningService } from '../../../../tests/support/service';
import { buildApp, type NumberingApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { numberingParticipant } from '../../src/privacy';

let sequence = 0;
const nextPhone = () => {
  sequence += 1;
  return `+1415777${String(1000 + sequence).padStart(4, '0')}`;
};

async function startNumbering(): Promise<{
  service: RunningService<NumberingApp>;
  carrier: CarrierSimHandle;
}> {
  const carrier = await startCarrierSim();
  const service = await startService('numbering', (env) => buildApp(loadConfig(env)), carrier.env);
  return { service, carrier };
}

/** A subject with a number of their account, a number forwarding to their phone, and a port-in. */
async function seedSubject(service: RunningService<NumberingApp>, tenantId: string, label: string) {
  const accountId = `acct-${label}-${randomUUID().slice(0, 8)}`;
  const phone = nextPhone();
  const managed = nextPhone();
  const forwarding = nextPhone();
  await withTenant(service.app.runtime.db, tenantId, async (tx) => {
    await tx.execute(sql`insert into numbers (tenant_id, e164, country, account_id, friendly_name, caller_id)
                         values (${tenantId}, ${managed}, 'US', ${accountId}, ${`Desk of ${label}`}, ${managed})`);
    await tx.execute(sql`insert into numbers (tenant_id, e164, country, forwarding_target)
                         values (${tenantId}, ${forwarding}, 'US', ${phone})`);
    await tx.execute(
      sql`insert into number_directory (e164, tenant_id, state) values (${managed}, ${tenantId}, 'active')`,
    );
    await tx.execute(sql`insert into port_ins (id, tenant_id, status, phone_numbers, losing_carrier, account_number,
                                               authorized_name, address, requested_date, account_id)
                         values (${randomUUID()}, ${tenantId}, 'ported', ${sql.raw(`ARRAY['${nextPhone()}']`)},
                                 'Old Telco', 'A-77', ${`Person ${label}`},
                                 ${JSON.stringify({ line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' })}::jsonb,
                                 now(), ${accountId})`);
  });
  const subject: SubjectIdentifiers = { accountIds: [accountId], emails: [], phones: [phone], userIds: [] };
  return { subject, managed, forwarding };
}

describeParticipantConformance('numbering (managed numbers, forwarding targets, port-ins)', async () => {
  const { service, carrier } = await startNumbering();
  return {
    participant: numberingParticipant(service.app.deps),
    db: service.app.runtime.db,
    tenantId: 'conf',
    secret: TEST_SUBJECT_HASH_KEY,
    refusedChanges: { fullName: 'x'.repeat(300) },
    seed: async (label) => (await seedSubject(service, 'conf', label)).subject,
    teardown: async () => {
      await service.stop();
      await carrier.stop();
    },
  };
});

describe('numbering: erasure per the tenant erasure policy', () => {
  let service: RunningService<NumberingApp>;
  let carrier: CarrierSimHandle;

  beforeAll(async () => {
    ({ service, carrier } = await startNumbering());
  });

  afterAll(async () => {
    await service?.stop();
    await carrier?.stop();
  });

  const erase = (tenantId: string, subject: SubjectIdentifiers) =>
    withTenant(service.app.runtime.db, tenantId, (tx) =>
      numberingParticipant(service.app.deps).erase(tx, subject, {
        tenantId,
        hashes: [],
        currentHashes: [],
      } as never),
    );
  const row = (tenantId: string, e164: string) =>
    withTenant(
      service.app.runtime.db,
      tenantId,
      async (tx) =>
        (
          await tx.execute<{ status: string; account_id: string | null; caller_id: string | null }>(
            sql`select status, account_id, caller_id from numbers where e164 = ${e164}`,
          )
        ).rows[0],
    );

  it('unassigns the numbers from the erased account by default, and removes forwarding to their phone', async () => {
    const { subject, managed, forwarding } = await seedSubject(service, 'policy-a', 'a');
    await erase('policy-a', subject);
    expect(await row('policy-a', managed)).toEqual({ status: 'active', account_id: null, caller_id: null });
    const target = await withTenant(service.app.runtime.db, 'policy-a', (tx) =>
      tx.execute<{ forwarding_target: string | null }>(
        sql`select forwarding_target from numbers where e164 = ${forwarding}`,
      ),
    );
    expect(target.rows[0]!.forwarding_target).toBeNull();
  });

  it('releases them into quarantine when the tenant policy says release', async () => {
    const { subject, managed } = await seedSubject(service, 'policy-b', 'b');
    await withTenant(service.app.runtime.db, 'policy-b', (tx) =>
      tx.execute(sql`insert into tenant_settings (tenant_id, erasure_policy) values ('policy-b', 'release')`),
    );
    await erase('policy-b', subject);
    expect(await row('policy-b', managed)).toMatchObject({ status: 'quarantined', account_id: null });
  });
});
