import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { awaitStream, connectNats, ensureConsumer, ensureStream, Naming, natsPermissions } from '@parley/kit';
import { freePort, waitForPort } from '../../../../tools/dev/src/ports';
import { natsUsers } from '../../../../tools/dev/src/natsUsers';
import {
  findNatsServer,
  startNats,
  NATS_INSTALL_HINT,
  type NatsServer,
} from '../../../../tools/dev/src/nats';
import { loadServices } from '../../../../tools/dev/src/services';

// A nats-server of its own, started with the users `npm start` gives the services: one per service in
// services.json, with the permissions the kit derives, plus an unrestricted observer. The rest of the
// integration suite keeps the unauthenticated server of globalSetup.
const PREFIX = 't-acme';
const password = (user: string) => `secret-of-${user}`;

describe('NATS users per service', () => {
  let dir: string;
  let server: NatsServer;
  const connections: NatsConnection[] = [];

  async function connectAs(user: string): Promise<NatsConnection> {
    const connection = await connectNats({ url: server.url, name: user, user, password: password(user) });
    connections.push(connection);
    return connection;
  }

  beforeAll(async () => {
    const binary = findNatsServer(process.env);
    if (!binary) throw new Error(NATS_INSTALL_HINT);
    dir = mkdtempSync(join(tmpdir(), 'parley-nats-users-'));
    const declared = loadServices();
    const users = declared.flatMap((service) => {
      const role = {
        service: service.name,
        publishesEvents: service.publishesEvents,
        privacyParticipant: service.privacyParticipant,
        consumes: service.consumes,
      };
      return [
        { user: service.name, password: password(service.name), permissions: natsPermissions(role) },
        // The same service in a dedicated tenant's deployment (NATS_PREFIX=t-acme).
        {
          user: `${PREFIX}-${service.name}`,
          password: password(`${PREFIX}-${service.name}`),
          permissions: natsPermissions({ ...role, prefix: PREFIX }),
        },
      ];
    });
    // Every declared service is a privacy participant now; one that is not (a service holding no personal
    // data) must still be refused the receipt subject.
    users.push({
      user: 'bystander',
      password: password('bystander'),
      permissions: natsPermissions({
        service: 'bystander',
        publishesEvents: true,
        privacyParticipant: false,
        consumes: [],
      }),
    });
    users.push({
      user: 'observer',
      password: password('observer'),
      permissions: { publish: ['>'], subscribe: ['>'] },
    });
    server = await startNats({ binary, port: await freePort(), storeDir: join(dir, 'jetstream'), users });
  });

  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close().catch(() => undefined)));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a connection without a user', async () => {
    await expect(connectNats({ url: server.url, name: 'anonymous' })).rejects.toThrow(/authorization/i);
  });

  describe('a service publishing its own events', () => {
    it('creates its stream and JetStream-publishes on its own subjects', async () => {
      const identity = await connectAs('identity');
      const jsm = await jetstreamManager(identity);
      expect(await ensureStream(jsm, new Naming(), 'identity')).toBe('IDENTITY');
      const ack = await jetstream(identity).publish('identity.tenant.created', 'payload');
      expect(ack).toMatchObject({ stream: 'IDENTITY', duplicate: false });
    });

    it('publishes on its own subjects with the deployment prefix, and only with it', async () => {
      const identity = await connectAs(`${PREFIX}-identity`);
      const naming = new Naming(PREFIX);
      expect(await ensureStream(await jetstreamManager(identity), naming, 'identity')).toBe(
        'T-ACME_IDENTITY',
      );
      const ack = await jetstream(identity).publish(naming.subject('identity.tenant.created'), 'payload');
      expect(ack.stream).toBe('T-ACME_IDENTITY');
      await expect(jetstream(identity).publish('identity.tenant.created', 'payload')).rejects.toThrow(
        /Permissions Violation for Publish to "identity.tenant.created"/,
      );
    });
  });

  describe("another service's subjects", () => {
    beforeAll(async () => {
      const billing = await connectAs('billing');
      await ensureStream(await jetstreamManager(billing), new Naming(), 'billing');
    });

    it('refuses a JetStream publish on them with a permissions violation, and stores nothing', async () => {
      const identity = await connectAs('identity');
      const observer = await jetstreamManager(await connectAs('observer'));
      const before = (await observer.streams.info('BILLING')).state.messages;
      await expect(jetstream(identity).publish('billing.account.opened', 'forged')).rejects.toThrow(
        /Permissions Violation for Publish to "billing.account.opened"/,
      );
      expect((await observer.streams.info('BILLING')).state.messages).toBe(before);
    });

    it('refuses a plain publish on them: subscribers never see it', async () => {
      const observer = await connectAs('observer');
      const seen: string[] = [];
      const subscription = observer.subscribe('messaging.>', {
        callback: (_, msg) => {
          seen.push(msg.subject);
        },
      });
      await observer.flush();
      const billing = await connectAs('billing');
      const errors: string[] = [];
      void (async () => {
        for await (const status of billing.status())
          if (status.type === 'error') errors.push(String(status.error.message));
      })();
      billing.publish('messaging.message.sent', 'forged');
      billing.publish('billing.account.opened', 'own');
      await billing.flush();
      await new Promise((resolve) => setTimeout(resolve, 300));
      subscription.unsubscribe();
      expect(seen).toEqual([]);
      expect(errors).toContainEqual(
        expect.stringMatching(/Permissions Violation for Publish to "messaging.message.sent"/),
      );
    });

    it("refuses to create, change or delete another service's stream", async () => {
      const billing = await jetstreamManager(await connectAs('billing'));
      await expect(billing.streams.add({ name: 'MESSAGING', subjects: ['messaging.>'] })).rejects.toThrow(
        /Permissions Violation/,
      );
      const identityStream = await billing.streams.info('IDENTITY');
      await expect(
        billing.streams.update('IDENTITY', { ...identityStream.config, max_age: 1_000_000_000 }),
      ).rejects.toThrow(/Permissions Violation/);
      await expect(billing.streams.delete('IDENTITY')).rejects.toThrow(/Permissions Violation/);
    });
  });

  describe('consuming', () => {
    it("reads the streams it declares: billing consumes identity's events and acks them", async () => {
      const identity = await connectAs('identity');
      await jetstream(identity).publish('identity.tenant.created', 'for billing', {
        msgID: 'billing-read-1',
      });
      const billing = await connectAs('billing');
      const naming = new Naming();
      const { stream } = await ensureConsumer(await jetstreamManager(billing), naming, {
        durable: 'billing-on-tenant-created',
        eventType: 'identity.tenant.created',
        backoffMs: [30_000],
        maxDeliver: 10,
      });
      expect(stream).toBe('IDENTITY');
      const consumer = await jetstream(billing).consumers.get('IDENTITY', 'billing-on-tenant-created');
      const message = await consumer.next({ expires: 5_000 });
      expect(message?.subject).toBe('identity.tenant.created');
      expect(await message!.ackAck()).toBe(true);
    });

    it('refuses a consumer on a stream it does not declare', async () => {
      const numbering = await jetstreamManager(await connectAs('numbering'));
      await expect(
        numbering.consumers.add('IDENTITY', {
          durable_name: 'numbering-snooping',
          ack_policy: AckPolicy.Explicit,
          filter_subject: 'identity.>',
        }),
      ).rejects.toThrow(/Permissions Violation/);
    });

    it("waits for the producer's stream instead of creating it", async () => {
      const observer = await jetstreamManager(await connectAs('observer'));
      // Made by t-acme's identity in an earlier test; drop it so that only its owner can bring it back.
      await observer.streams.delete('T-ACME_IDENTITY').catch(() => undefined);
      const billing = await jetstreamManager(await connectAs(`${PREFIX}-billing`));
      const naming = new Naming(PREFIX);
      const waits: string[] = [];
      let resolved = false;
      const waiting = awaitStream(billing, naming, 'identity', { pollMs: 20, onWait: (s) => waits.push(s) });
      void waiting.then(() => (resolved = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(resolved).toBe(false);
      expect(waits).toContain('T-ACME_IDENTITY');
      const identity = await jetstreamManager(await connectAs(`${PREFIX}-identity`));
      await ensureStream(identity, naming, 'identity');
      await expect(waiting).resolves.toBe('T-ACME_IDENTITY');
    });
  });

  describe('privacy receipts', () => {
    beforeAll(async () => {
      const privacy = await connectAs('privacy');
      await ensureStream(await jetstreamManager(privacy), new Naming(), 'privacy');
    });

    it("lets a participant publish its receipt to privacy's stream", async () => {
      for (const participant of ['identity', 'gateway']) {
        const connection = await connectAs(participant);
        const ack = await jetstream(connection).publish(
          'privacy.receipt.submitted',
          `receipt of ${participant}`,
        );
        expect(ack.stream).toBe('PRIVACY');
      }
    });

    it('refuses receipts from a service that is not a participant, and any other privacy subject', async () => {
      const bystander = await connectAs('bystander');
      await expect(jetstream(bystander).publish('privacy.receipt.submitted', 'forged')).rejects.toThrow(
        /Permissions Violation/,
      );
      const identity = await connectAs('identity');
      await expect(jetstream(identity).publish('privacy.task.requested', 'forged task')).rejects.toThrow(
        /Permissions Violation/,
      );
    });
  });
});

describe('npm run nats:users -- --format config (a cluster whose passwords come from its environment)', () => {
  it('configures a nats-server whose users are held to their own subjects', async () => {
    const binary = findNatsServer(process.env);
    if (!binary) throw new Error(NATS_INSTALL_HINT);
    const dir = mkdtempSync(join(tmpdir(), 'parley-nats-config-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'users.conf'),
      natsUsers(loadServices(), { account: 'parley', format: 'config' }),
    );
    writeFileSync(
      join(dir, 'nats.conf'),
      `listen: "127.0.0.1:${port}"\njetstream: { store_dir: ${JSON.stringify(join(dir, 'js'))} }\ninclude users.conf\n`,
    );
    const passwords = Object.fromEntries(
      loadServices().map((service) => [`NATS_PASSWORD_${service.name.toUpperCase()}`, `pw-${service.name}`]),
    );
    const child = spawn(binary, ['-c', join(dir, 'nats.conf')], {
      env: { ...process.env, ...passwords },
      stdio: 'ignore',
    });
    try {
      await waitForPort(port, 20_000);
      const url = `nats://127.0.0.1:${port}`;
      await expect(connectNats({ url, name: 'x', user: 'identity', password: 'wrong' })).rejects.toThrow(
        /authorization/i,
      );
      const identity = await connectNats({
        url,
        name: 'identity',
        user: 'identity',
        password: 'pw-identity',
      });
      try {
        await ensureStream(await jetstreamManager(identity), new Naming(), 'identity');
        expect((await jetstream(identity).publish('identity.tenant.created', 'x')).stream).toBe('IDENTITY');
        await expect(jetstream(identity).publish('billing.account.opened', 'forged')).rejects.toThrow(
          /Permissions Violation/,
        );
      } finally {
        await identity.close();
      }
    } finally {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
