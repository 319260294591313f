import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { call, createClient, withTenant } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { eventually } from '../../../../tests/support/grpc';
import { asPlatform } from '../../../../tests/support/callers';
import { startPlatform, type Platform } from '../../../../tests/support/platform';

/**
 * A minimal SMTP server (RFC 5321's plain dialogue, no TLS, no auth) that records each message, and holds
 * its answer to the end of a message's data until `release` is called, as a slow or stuck mail server does.
 */
async function mailServer() {
  const messages: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server: Server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    let message = '';
    socket.write('220 test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            // Quoted-printable soft line breaks joined back, so a long line reads whole.
            const complete = message.replace(/=\n/g, '');
            message = '';
            void released.then(() => {
              messages.push(complete);
              socket.write('250 queued\r\n');
            });
          } else message += `${line}\n`;
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 test\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 end with .\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    messages,
    release,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('privacy notices by SMTP', () => {
  let platform: Platform;
  let smtp: Awaited<ReturnType<typeof mailServer>>;
  let ownerKey = '';
  const tenant = 'notices';

  async function api(method: string, path: string, credential: string, body?: unknown) {
    const response = await fetch(`${platform.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${credential}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    smtp = await mailServer();
    platform = await startPlatform({
      privacyEnv: {
        NOTIFICATIONS: 'smtp',
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        NOTIFICATION_FROM: 'privacy@parley.test',
      },
    });
    const identity = createClient(identityV1.IdentityServiceClient, platform.identity.address, {
      serviceName: 'parley.identity.v1.IdentityService',
    });
    ownerKey = (
      await call(
        identity,
        identity.createTenant,
        {
          id: tenant,
          name: 'Notices Ltd',
          tenancyMode: identityV1.TenancyMode.TENANCY_MODE_POOLED,
          jurisdiction: identityV1.Jurisdiction.JURISDICTION_GDPR,
          minimumAge: 0,
        },
        await asPlatform(),
      )
    ).ownerApiKey;
    identity.close();
  }, 120_000);

  afterAll(async () => {
    smtp?.release();
    await platform?.stop();
    await smtp?.close();
  });

  it('answers a third-party request without waiting on the mail server, then delivers the code to the holder only', async () => {
    for (const name of ['rae', 'sam']) {
      const account = await api('POST', '/v1/accounts', ownerKey, {
        fullName: `${name} Person`,
        email: `${name}@example.com`,
        ageAttested: true,
      });
      expect(account.status).toBe(201);
    }
    const key = String(
      (await api('POST', '/v1/api-keys', ownerKey, { name: 'app', scopes: ['profile'] })).body.apiKey,
    );
    // While the mail server holds every message, both requests are answered.
    const unheld = await api('POST', '/v1/privacy/requests', key, {
      type: 'access',
      subject: { email: 'not-a-customer@example.org' },
    });
    const held = await api('POST', '/v1/privacy/requests', key, {
      type: 'access',
      subject: { email: 'sam@example.com' },
    });
    expect(unheld).toMatchObject({ status: 201, body: { state: 'verifying' } });
    expect(held).toMatchObject({ status: 201, body: { state: 'verifying' } });
    smtp.release();
    const delivered = await eventually('the code to reach the mail server', async () => {
      const found = smtp.messages.filter((message) => message.includes(String(held.body.id)));
      if (found.length === 0) throw new Error('not yet');
      return found;
    });
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatch(/^To: sam@example\.com$/m);
    expect(delivered[0]).toMatch(/is \d{6}/);
    // Nothing went to the address the tenant does not hold, and the outgoing queue is empty once sent.
    expect(smtp.messages.join('\n')).not.toContain('not-a-customer@example.org');
    await eventually('the sent notice to leave the outgoing queue', async () => {
      const rows = await withTenant(platform.backends.privacy.app.runtime.db, tenant, (tx) =>
        tx.execute<{ n: number }>(sql`select count(*)::int as n from mailbox`),
      );
      if (rows.rows[0]!.n !== 0) throw new Error(`${rows.rows[0]!.n} still queued`);
    });
  });
});
