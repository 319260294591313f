import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { credentials, loadPackageDefinition, status, type Client } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  AppError,
  call,
  callerMetadata,
  generateInternalTokenKeyPair,
  InternalTokens,
  checkHealth,
  createClient,
  createLogger,
  startGrpcServer,
  runWithContext,
  unary,
  type GrpcServer,
  type RpcContext,
} from '@parley/kit';
import { billingV1, protoFiles } from '@parley/proto';
import { expectStatus } from '../../../../tests/support/grpc';
import { as, testTokens, TEST_INTERNAL_TOKEN_PUBLIC_KEYS } from '../../../../tests/support/callers';

const log = createLogger({ service: 'kit-test', version: 'test', level: 'silent' });
const protoDir = dirname(require.resolve('@parley/proto/package.json'));

const balance: billingV1.GetBalanceResponse = {
  tenantId: 'acme',
  currency: 'USD',
  balanceMinor: '42',
  openedAt: new Date('2026-01-01T00:00:00Z'),
  billingMode: 'prepaid',
  creditLimitMinor: '0',
  planId: 'standard',
};

async function serve(
  handler: (context: RpcContext<billingV1.GetBalanceRequest>) => Promise<billingV1.GetBalanceResponse>,
): Promise<GrpcServer> {
  return startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    log,
    services: [
      {
        name: 'parley.billing.v1.BillingService',
        definition: billingV1.BillingServiceService,
        implementation: {
          getBalance: unary('GetBalance', { log, tokens: testTokens }, handler, { scope: 'billing:read' }),
        },
      },
    ],
    reflection: { protoDir, files: [protoFiles.billing] },
  });
}

describe('kit gRPC server and client', () => {
  const servers: GrpcServer[] = [];
  const clients: Client[] = [];
  const client = (server: GrpcServer, idempotentMethods: string[] = []) => {
    const created = createClient(billingV1.BillingServiceClient, `127.0.0.1:${server.port}`, {
      serviceName: 'parley.billing.v1.BillingService',
      idempotentMethods,
    });
    clients.push(created);
    return created;
  };

  afterEach(async () => {
    clients.splice(0).forEach((each) => each.close());
    await Promise.all(servers.splice(0).map((server) => server.shutdown(100)));
  });

  describe('request ids', () => {
    it('exposes the request id a call carries on the RpcContext, and forwards the one being served', async () => {
      const seen: (string | undefined)[] = [];
      const server = await serve(async ({ requestId }) => {
        seen.push(requestId);
        return balance;
      });
      servers.push(server);
      const billing = client(server);
      const caller = { tenantId: 'acme', principal: 'test', scopes: ['*'] };
      await call(
        billing,
        billing.getBalance,
        {},
        { metadata: await callerMetadata(testTokens, caller, 'idem-1') },
      );
      await runWithContext({ requestId: 'req-2' }, async () =>
        call(billing, billing.getBalance, {}, { metadata: await callerMetadata(testTokens, caller) }),
      );
      await call(billing, billing.getBalance, {}, await as('acme'));
      expect(seen).toEqual(['idem-1', 'req-2', undefined]);
    });
  });

  describe('deadlines', () => {
    it('answers DEADLINE_EXCEEDED when the handler outlives the caller', async () => {
      const server = await serve(() => new Promise((resolve) => setTimeout(() => resolve(balance), 1_000)));
      servers.push(server);
      const billing = client(server);
      await expectStatus(
        call(billing, billing.getBalance, {}, { ...(await as('acme')), timeoutMs: 100 }),
        status.DEADLINE_EXCEEDED,
      );
    });
  });

  describe('retries', () => {
    it('retries an idempotent method on UNAVAILABLE, and not a method that is not declared idempotent', async () => {
      let attempts = 0;
      const server = await serve(async () => {
        attempts += 1;
        if (attempts % 3 !== 0) throw new AppError('unavailable', 'TRY_AGAIN', 'briefly unavailable');
        return balance;
      });
      servers.push(server);
      const retrying = client(server, ['GetBalance']);
      expect(await call(retrying, retrying.getBalance, {}, await as('acme'))).toMatchObject({
        balanceMinor: '42',
      });
      expect(attempts).toBe(3);
      const plain = client(server);
      await expectStatus(
        call(plain, plain.getBalance, {}, await as('acme')),
        status.UNAVAILABLE,
        'TRY_AGAIN',
      );
      expect(attempts).toBe(4);
    });
  });

  describe('errors', () => {
    it('hides an unexpected error behind INTERNAL with a generic message', async () => {
      const server = await serve(async () => {
        throw new Error('password=hunter2 leaked from a driver');
      });
      servers.push(server);
      const billing = client(server);
      const { message } = await expectStatus(
        call(billing, billing.getBalance, {}, await as('acme')),
        status.INTERNAL,
        'INTERNAL',
      );
      expect(message).toBe('internal error');
    });

    it('refuses a call without a caller as UNAUTHENTICATED', async () => {
      const server = await serve(async () => balance);
      servers.push(server);
      const billing = client(server);
      await expectStatus(call(billing, billing.getBalance, {}), status.UNAUTHENTICATED, 'CALLER_MISSING');
    });

    it('refuses a caller token signed with another key as UNAUTHENTICATED', async () => {
      const server = await serve(async () => balance);
      servers.push(server);
      const billing = client(server);
      // A key pair nobody published, claiming to be the gateway.
      const forger = new InternalTokens({
        issuer: 'gateway',
        privateKey: generateInternalTokenKeyPair('gateway').privateKey,
        publicKeys: TEST_INTERNAL_TOKEN_PUBLIC_KEYS,
      });
      const metadata = await callerMetadata(forger, {
        tenantId: 'acme',
        principal: 'mallory',
        scopes: ['*'],
      });
      await expectStatus(
        call(billing, billing.getBalance, {}, { metadata }),
        status.UNAUTHENTICATED,
        'CALLER_INVALID',
      );
    });

    it('refuses a caller without the scope, or without a tenant, as PERMISSION_DENIED', async () => {
      const server = await serve(async () => balance);
      servers.push(server);
      const billing = client(server);
      await expectStatus(
        call(billing, billing.getBalance, {}, await as('acme', ['numbers:read'])),
        status.PERMISSION_DENIED,
        'SCOPE_MISSING',
      );
      await expectStatus(
        call(billing, billing.getBalance, {}, await as('', ['*'])),
        status.PERMISSION_DENIED,
        'TENANT_MISSING',
      );
    });
  });

  describe('graceful shutdown', () => {
    it('finishes the call in flight, stops reporting SERVING, then refuses new calls', async () => {
      const server = await serve(() => new Promise((resolve) => setTimeout(() => resolve(balance), 400)));
      const address = `127.0.0.1:${server.port}`;
      const billing = client(server);
      expect(await checkHealth(address, 1_000, 'parley.billing.v1.BillingService')).toBe('SERVING');
      const inFlight = call(billing, billing.getBalance, {}, await as('acme'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stopped = server.shutdown(5_000);
      expect(await inFlight).toMatchObject({ balanceMinor: '42' });
      await stopped;
      expect(await checkHealth(address, 300)).toBe('UNREACHABLE');
    });
  });

  describe('server reflection', () => {
    it('lists the served services', async () => {
      const server = await serve(async () => balance);
      servers.push(server);
      const reflectionProto = join(
        dirname(require.resolve('@grpc/reflection')),
        '..',
        'proto',
        'grpc',
        'reflection',
        'v1',
        'reflection.proto',
      );
      const definition = loadPackageDefinition(loadSync(reflectionProto, { keepCase: true })) as unknown as {
        grpc: {
          reflection: {
            v1: {
              ServerReflection: new (
                address: string,
                creds: ReturnType<typeof credentials.createInsecure>,
              ) => Client;
            };
          };
        };
      };
      const reflection = new definition.grpc.reflection.v1.ServerReflection(
        `127.0.0.1:${server.port}`,
        credentials.createInsecure(),
      );
      clients.push(reflection);
      const names = await new Promise<string[]>((resolve, reject) => {
        const stream = (
          reflection as unknown as { ServerReflectionInfo: () => NodeJS.ReadWriteStream }
        ).ServerReflectionInfo();
        stream.on('data', (response: { list_services_response?: { service: { name: string }[] } }) => {
          resolve((response.list_services_response?.service ?? []).map((service) => service.name));
          stream.end();
        });
        stream.on('error', reject);
        stream.write({ list_services: '' } as never);
      });
      expect(names).toContain('parley.billing.v1.BillingService');
    });
  });
});
