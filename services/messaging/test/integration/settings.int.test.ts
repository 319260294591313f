import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { call, ensurePartitions } from '@parley/kit';
import { as } from '../../../../tests/support/callers';
import { eventually, expectStatus } from '../../../../tests/support/grpc';
import { PARTITIONED } from '../../src/db/schema';
import { QUEUES } from '../../src/deps';
import { messagingParticipant } from '../../src/privacy';
import { startMessaging, type MessagingUnderTest } from './messagingForTests';

const DAY_MS = 86_400_000;

describe('messaging: per-tenant settings, retention and sender rates', () => {
  let under: MessagingUnderTest;
  const tenant = () => `s-${randomUUID().slice(0, 8)}`;
  let next = 2000;
  const recipient = () => `+44770090${String(next++).padStart(4, '0')}`;
  const realNow = () => new Date();

  beforeAll(async () => {
    under = await startMessaging();
  });

  afterAll(async () => {
    await under?.stop();
  });

  afterEach(() => {
    under.messaging.app.deps.now = realNow;
  });

  const getSettings = async (tenantId: string) =>
    (await call(under.client, under.client.getMessagingSettings, {}, await as(tenantId))).settings!;

  /** The tenant's messaging clock moves `days` ahead (retention decisions read deps.now). */
  const travel = (days: number) => {
    under.messaging.app.deps.now = () => new Date(Date.now() + days * DAY_MS);
  };

  describe('MessagingService/GetMessagingSettings', () => {
    it('answers the defaults to a tenant that set none: content not kept, metadata 365 days, the service rates', async () => {
      const settings = await getSettings(tenant());
      expect(settings).toEqual({
        contentRetentionDays: undefined,
        metadataRetentionDays: 365,
        senderRates: {},
        // messagingForTests runs the service with SENDER_RATES of 1000 for every class.
        effectiveSenderRates: { longCode: 1000, tollFree: 1000, shortCode: 1000 },
        helpText: undefined,
        // Recording references are not kept unless the tenant allows them, and then only with consent.
        recordingsAllowed: false,
        recordingConsentRequired: true,
        // No law obliging the tenant to keep traffic data: erasure deletes call records.
        trafficDataRetention: undefined,
        updatedAt: undefined,
      });
    });
  });

  describe('MessagingService/UpdateMessagingSettings', () => {
    describe('OK', () => {
      it('changes the named fields only, restores a default when cleared, and walls each tenant off', async () => {
        const mine = tenant();
        const other = tenant();
        await under.updateSettings(
          mine,
          { contentRetentionDays: 7, senderRates: { longCode: 2 }, helpText: 'Acme: reply STOP to opt out' },
          ['content_retention_days', 'sender_rates', 'help_text'],
        );
        const changed = await under.updateSettings(mine, { metadataRetentionDays: 90 }, [
          'metadata_retention_days',
        ]);
        expect(changed).toMatchObject({
          contentRetentionDays: 7,
          metadataRetentionDays: 90,
          senderRates: { longCode: 2 },
          effectiveSenderRates: { longCode: 2, tollFree: 1000, shortCode: 1000 },
          helpText: 'Acme: reply STOP to opt out',
        });
        expect(changed.updatedAt).toBeInstanceOf(Date);
        expect(await getSettings(mine)).toEqual(changed);
        expect((await getSettings(other)).helpText).toBeUndefined();

        const cleared = await under.updateSettings(mine, {}, ['content_retention_days', 'help_text']);
        expect(cleared).toMatchObject({ contentRetentionDays: undefined, helpText: undefined });
        expect(cleared.metadataRetentionDays).toBe(90);
      });

      it('sets the obligation to keep traffic data, and clears it', async () => {
        const mine = tenant();
        const law = { days: 2190, law: 'IT D.Lgs. 196/2003 art. 132' };
        const set = await under.updateSettings(mine, { trafficDataRetention: law }, [
          'traffic_data_retention',
        ]);
        expect(set.trafficDataRetention).toEqual(law);
        expect((await getSettings(mine)).trafficDataRetention).toEqual(law);
        expect((await getSettings(tenant())).trafficDataRetention).toBeUndefined();
        const cleared = await under.updateSettings(mine, {}, ['traffic_data_retention']);
        expect(cleared.trafficDataRetention).toBeUndefined();
      });

      it("serves inbound's HelpTexts port from the repository", async () => {
        const mine = tenant();
        const { deps } = under.messaging.app;
        expect(await deps.withTenant(mine, (tx) => deps.settings.helpTexts.of(tx, mine))).toBeUndefined();
        await under.updateSettings(mine, { helpText: 'Help: support@example.com' }, ['help_text']);
        expect(await deps.withTenant(mine, (tx) => deps.settings.helpTexts.of(tx, mine))).toBe(
          'Help: support@example.com',
        );
      });
    });

    describe('INVALID_ARGUMENT', () => {
      it('names every bad field and changes nothing', async () => {
        const mine = tenant();
        const { fieldViolations } = await expectStatus(
          under.updateSettings(
            mine,
            {
              contentRetentionDays: 3651,
              metadataRetentionDays: -1,
              senderRates: { longCode: 0, shortCode: 5000 },
              helpText: '   ',
            },
            ['content_retention_days', 'metadata_retention_days', 'sender_rates', 'help_text'],
          ),
          status.INVALID_ARGUMENT,
          'MESSAGING_INVALID_REQUEST',
        );
        expect(fieldViolations.map((violation) => violation.field).sort()).toEqual([
          'contentRetentionDays',
          'helpText',
          'metadataRetentionDays',
          'senderRates.long_code',
          'senderRates.short_code',
        ]);
        expect((await getSettings(mine)).updatedAt).toBeUndefined();
      });

      it('names the days and the law of a bad obligation to keep traffic data, and changes nothing', async () => {
        const mine = tenant();
        const { fieldViolations } = await expectStatus(
          under.updateSettings(mine, { trafficDataRetention: { days: 0, law: ' ' } }, [
            'traffic_data_retention',
          ]),
          status.INVALID_ARGUMENT,
          'MESSAGING_INVALID_REQUEST',
        );
        expect(fieldViolations.map((violation) => violation.field)).toEqual([
          'trafficDataRetention.days',
          'trafficDataRetention.law',
        ]);
        expect((await getSettings(mine)).updatedAt).toBeUndefined();
      });

      it('refuses an update mask naming no setting or an unknown one', async () => {
        const { fieldViolations } = await expectStatus(
          under.updateSettings(tenant(), {}, ['body']),
          status.INVALID_ARGUMENT,
          'MESSAGING_INVALID_REQUEST',
        );
        expect(fieldViolations.map((violation) => violation.field)).toEqual(['updateMask']);
      });
    });

    describe('PERMISSION_DENIED', () => {
      it('needs messaging:settings: messages:write is not enough', async () => {
        await expectStatus(
          call(
            under.client,
            under.client.updateMessagingSettings,
            {
              settings: {
                metadataRetentionDays: 30,
                recordingsAllowed: false,
                recordingConsentRequired: true,
              },
              updateMask: ['metadata_retention_days'],
            },
            await as(tenant(), ['messages:write']),
          ),
          status.PERMISSION_DENIED,
        );
      });
    });
  });

  describe('content retention', () => {
    it("removes a message's content right after its final status by default; its metadata and history stay", async () => {
      const mine = tenant();
      const from = await under.buyNumber(mine);
      const sent = await under.send(mine, { from, to: recipient(), body: 'Your code is 1234' });
      expect(sent.body).toBe('Your code is 1234');
      await under.reaches(mine, sent.id, 'delivered');
      const after = await eventually('the content to be removed', async () => {
        const found = await under.get(mine, sent.id);
        if (found.message!.body !== '') throw new Error('content still there');
        return found;
      });
      expect(after.message).toMatchObject({ status: 'delivered', segments: 1, encoding: 'GSM-7', from });
      expect(after.message!.carrierMessageIds).toHaveLength(1);
      expect(after.history.map((change) => change.status)).toEqual([
        'queued',
        'sending',
        'sent',
        'delivered',
      ]);
    });

    it("keeps the content for the tenant's days after the final status, then removes it", async () => {
      const mine = tenant();
      const from = await under.buyNumber(mine);
      await under.updateSettings(mine, { contentRetentionDays: 2 }, ['content_retention_days']);
      const kept = await under.send(mine, { from, to: recipient(), body: 'kept for two days' });
      await under.reaches(mine, kept.id, 'delivered');
      // A later message finishes too: its sweep ran after the first's final status, and kept both.
      const later = await under.send(mine, { from, to: recipient(), body: 'also kept' });
      await under.reaches(mine, later.id, 'delivered');
      await eventually('the sweeps of both final statuses to have run', async () => {
        const jobs = await under.messaging.app.runtime.db.execute<{ pending: number }>(
          sql`select count(*)::int as pending from pgboss.job
               where name = ${QUEUES.contentRetention} and state in ('created', 'retry', 'active')
                 and data ->> 'tenantId' = ${mine} and start_after < now() + interval '1 hour'`,
        );
        if (jobs.rows[0]!.pending > 0) throw new Error('a sweep is still due');
      });
      expect((await under.get(mine, kept.id)).message!.body).toBe('kept for two days');

      // A day on, still kept; past two days, gone (a settings change sweeps at once).
      travel(1);
      await under.updateSettings(mine, { contentRetentionDays: 2 }, ['content_retention_days']);
      await eventually('the sweep after one day to have run', async () => {
        const jobs = await under.messaging.app.runtime.db.execute<{ done: number }>(
          sql`select count(*)::int as done from pgboss.job
               where name = ${QUEUES.contentRetention} and state = 'completed' and data ->> 'tenantId' = ${mine}
                 and completed_on > now() - interval '2 seconds'`,
        );
        if (jobs.rows[0]!.done === 0) throw new Error('no sweep yet');
      });
      expect((await under.get(mine, kept.id)).message!.body).toBe('kept for two days');

      travel(2.01);
      await under.updateSettings(mine, { contentRetentionDays: 2 }, ['content_retention_days']);
      const gone = await eventually('the content to be removed', async () => {
        const found = await under.get(mine, kept.id);
        if (found.message!.body !== '') throw new Error('content still there');
        return found;
      });
      expect(gone.message).toMatchObject({ status: 'delivered', to: kept.to, segments: 1 });
      expect(gone.history.map((change) => change.status)).toContain('delivered');
    });
  });

  describe('metadata retention', () => {
    it("deletes a tenant's messages past its metadata retention, and no other tenant's", async () => {
      const short = tenant();
      const usual = tenant();
      const shortFrom = await under.buyNumber(short);
      const usualFrom = await under.buyNumber(usual);
      await under.updateSettings(short, { metadataRetentionDays: 1 }, ['metadata_retention_days']);
      const goes = await under.send(short, { from: shortFrom, to: recipient(), body: 'short' });
      const stays = await under.send(usual, { from: usualFrom, to: recipient(), body: 'usual' });
      await under.reaches(short, goes.id, 'delivered');
      await under.reaches(usual, stays.id, 'delivered');

      travel(1.5);
      await under.messaging.app.runtime.jobs.send(QUEUES.metadataRetention, {});
      await eventually('the short-retention message to be deleted', async () => {
        await expectStatus(under.get(short, goes.id), status.NOT_FOUND, 'MESSAGE_NOT_FOUND');
      });
      expect((await under.get(usual, stays.id)).message!.status).toBe('delivered');
    });
  });

  describe("the privacy service's retention run", () => {
    it("keeps what the tenant's own, longer messaging retention keeps; without it the run's cut-off applies", async () => {
      const mine = tenant();
      const from = await under.buyNumber(mine);
      await under.updateSettings(mine, { metadataRetentionDays: 730, contentRetentionDays: 730 }, [
        'metadata_retention_days',
        'content_retention_days',
      ]);
      const sent = await under.send(mine, { from, to: recipient(), body: 'kept two years' });
      await under.reaches(mine, sent.id, 'delivered');
      const { deps, runtime } = under.messaging.app;
      const participant = messagingParticipant(deps);
      // A run whose policy cuts at tomorrow: everything there is would go.
      const purge = (category: string) =>
        deps.withTenant(mine, (tx) =>
          participant.purge(tx, category, new Date(Date.now() + DAY_MS), {
            tenantId: mine,
            log: runtime.log,
          }),
        );
      await purge('message_content');
      await purge('message_metadata');
      expect((await under.get(mine, sent.id)).message!.body).toBe('kept two years');

      await under.updateSettings(mine, {}, ['metadata_retention_days']);
      await purge('message_metadata');
      await expectStatus(under.get(mine, sent.id), status.NOT_FOUND, 'MESSAGE_NOT_FOUND');
    });
  });

  describe('metadata retention: whole months', () => {
    it('drops the months older than the longest metadata retention any tenant keeps, and keeps the newer ones', async () => {
      const { pool } = under.messaging.app.runtime;
      for (const spec of Object.values(PARTITIONED)) await ensurePartitions(pool, spec, { behind: 14 });
      const month = (monthsAgo: number) => {
        const at = new Date();
        at.setUTCDate(1);
        at.setUTCMonth(at.getUTCMonth() - monthsAgo);
        return `${at.getUTCFullYear()}${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
      };
      const partitions = async (table: string) =>
        (
          await pool.query<{ name: string }>(
            `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
               join pg_class p on p.oid = i.inhparent where p.relname = $1`,
            [table],
          )
        ).rows.map((row) => row.name);
      expect(await partitions('messages')).toContain(`messages_p${month(13)}`);
      // No tenant keeps metadata longer than the default 365 days here.
      await under.messaging.app.runtime.jobs.send(QUEUES.metadataRetention, {});
      await eventually('the month thirteen months back to be dropped', async () => {
        if ((await partitions('messages')).includes(`messages_p${month(13)}`)) throw new Error('still there');
      });
      expect(await partitions('message_status_history')).not.toContain(
        `message_status_history_p${month(13)}`,
      );
      expect(await partitions('messages')).toEqual(
        expect.arrayContaining([`messages_p${month(11)}`, `messages_p${month(0)}`]),
      );
    });
  });

  describe('sender rates', () => {
    it("paces a sender by its tenant's own rate for its class", async () => {
      const mine = tenant();
      const from = await under.buyNumber(mine);
      await under.updateSettings(mine, { senderRates: { longCode: 4 } }, ['sender_rates']);
      const ids: string[] = [];
      for (let index = 0; index < 4; index++)
        ids.push((await under.send(mine, { from, to: recipient(), body: `paced ${index}` })).id);
      for (const id of ids) await under.reaches(mine, id, 'delivered');
      // The slots each message reserved: a quarter of a second apart at 4 segments per second.
      const { deps } = under.messaging.app;
      const slots = await deps.withTenant(mine, (tx) =>
        tx.execute<{ at: string }>(
          sql`select send_at::text as at from messages where from_e164 = ${from} order by send_at`,
        ),
      );
      const times = slots.rows.map((row) => new Date(row.at).getTime());
      expect(times).toHaveLength(4);
      for (let index = 1; index < times.length; index++)
        expect(times[index]! - times[index - 1]!).toBeGreaterThanOrEqual(250);
    });
  });
});
