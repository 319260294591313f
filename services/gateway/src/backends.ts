import type { Client, Metadata } from '@grpc/grpc-js';
import {
  call,
  callerMetadata,
  checkHealth,
  createClient,
  type Caller,
  type HealthStatus,
  type InternalTokens,
  type ResponseOf,
  type UnaryMethod,
} from '@parley/kit';
import {
  billingPaymentsV1,
  billingInvoicesV1,
  billingV1,
  identityV1,
  kitV1,
  messagingV1,
  numberingV1,
  privacyV1,
} from '@parley/proto';
import type { Config } from './config';

/** gRPC clients for every service the gateway fronts, and the calls it makes on a caller's behalf. */
export class Backends {
  readonly identity: identityV1.IdentityServiceClient;
  readonly numbering: numberingV1.NumberingServiceClient;
  readonly messaging: messagingV1.MessagingServiceClient;
  readonly billing: billingV1.BillingServiceClient;
  readonly payments: billingPaymentsV1.PaymentsServiceClient;
  readonly invoices: billingInvoicesV1.InvoicesServiceClient;
  readonly privacy: privacyV1.PrivacyServiceClient;
  private readonly addresses: Record<string, string>;
  private readonly deadLetterClients = new Map<string, kitV1.DeadLetterServiceClient>();
  /** The gateway itself, when it asks identity who a caller is. */
  readonly gatewayCaller: Caller = { tenantId: '', principal: 'service:gateway', scopes: ['internal'] };

  /**
   * @param ownAddress where the gateway's own runtime serves gRPC (its DeadLetterService), known once it
   *   has started
   */
  constructor(
    private readonly config: Config,
    private readonly tokens: InternalTokens,
    private readonly ownAddress: () => string = () => `127.0.0.1:${config.GRPC_PORT}`,
  ) {
    this.addresses = {
      identity: config.IDENTITY_ADDR,
      numbering: config.NUMBERING_ADDR,
      messaging: config.MESSAGING_ADDR,
      billing: config.BILLING_ADDR,
      privacy: config.PRIVACY_ADDR,
    };
    this.identity = createClient(identityV1.IdentityServiceClient, config.IDENTITY_ADDR, {
      serviceName: 'parley.identity.v1.IdentityService',
      idempotentMethods: [
        'GetTenant',
        'ListTenants',
        'AuthenticateApiKey',
        'CreateTenant',
        'GetAccount',
        'ListAccounts',
        'ListApiKeys',
        'ListOAuthClients',
        'RevokeApiKey',
        'RecordLogin',
      ],
    });
    this.numbering = createClient(numberingV1.NumberingServiceClient, config.NUMBERING_ADDR, {
      serviceName: 'parley.numbering.v1.NumberingService',
      idempotentMethods: [
        'ListNumbers',
        'GetNumber',
        'GetNumberOrder',
        'ListPortIns',
        'GetPortIn',
        'GetNumberingSettings',
      ],
    });
    this.messaging = createClient(messagingV1.MessagingServiceClient, config.MESSAGING_ADDR, {
      serviceName: 'parley.messaging.v1.MessagingService',
      idempotentMethods: ['ListMessages', 'ListCalls', 'GetCall'],
    });
    this.billing = createClient(billingV1.BillingServiceClient, config.BILLING_ADDR, {
      serviceName: 'parley.billing.v1.BillingService',
      idempotentMethods: ['GetBalance'],
    });
    // Billing serves it too. Creating calls carry the request id, which billing deduplicates by.
    this.payments = createClient(billingPaymentsV1.PaymentsServiceClient, config.BILLING_ADDR, {
      serviceName: 'parley.billing.v1.PaymentsService',
      idempotentMethods: [
        'ListPaymentMethods',
        'GetTopUp',
        'ListTopUps',
        'ListRefunds',
        'GetRefund',
        'ListInvoicePayments',
      ],
    });
    this.invoices = createClient(billingInvoicesV1.InvoicesServiceClient, config.BILLING_ADDR, {
      serviceName: 'parley.billing.v1.InvoicesService',
      idempotentMethods: ['ListInvoices', 'GetInvoice'],
    });
    this.privacy = createClient(privacyV1.PrivacyServiceClient, config.PRIVACY_ADDR, {
      serviceName: 'parley.privacy.v1.PrivacyService',
      idempotentMethods: ['ListRequests'],
    });
  }

  /**
   * A unary call on behalf of `caller` (signed into an internal token), with the upstream deadline (or the
   * longer provisioning one) and the request id of the HTTP request being served (see `forwardedRequestIdOf`).
   */
  async as<M extends UnaryMethod>(
    caller: Caller,
    client: Client,
    method: M,
    request: Parameters<M>[0],
    options: { deadline?: 'upstream' | 'provisioning' } = {},
  ): Promise<ResponseOf<M>> {
    return call(client, method, request, {
      metadata: await callerMetadata(this.tokens, caller),
      timeoutMs:
        options.deadline === 'provisioning'
          ? this.config.PROVISIONING_TIMEOUT_MS
          : this.config.UPSTREAM_TIMEOUT_MS,
    });
  }

  /** The metadata that makes a backend call on the caller's behalf (for streaming calls). */
  async metadataFor(caller: Caller): Promise<Metadata> {
    return callerMetadata(this.tokens, caller);
  }

  /** Every service whose dead letters the gateway can show: the backends and the gateway itself. */
  get deadLetterServices(): string[] {
    return [...Object.keys(this.addresses), 'gateway'];
  }

  /** The DeadLetterService of one service (see deadLetterServices). */
  deadLetters(service: string): kitV1.DeadLetterServiceClient {
    let client = this.deadLetterClients.get(service);
    if (!client) {
      const address = service === 'gateway' ? this.ownAddress() : this.addresses[service];
      if (!address) throw new Error(`no address for service ${service}`);
      client = createClient(kitV1.DeadLetterServiceClient, address, {
        serviceName: 'parley.kit.v1.DeadLetterService',
        idempotentMethods: ['ListDeadLetters', 'DiscardDeadLetter'],
      });
      this.deadLetterClients.set(service, client);
    }
    return client;
  }

  async health(): Promise<Record<string, HealthStatus>> {
    const entries = await Promise.all(
      Object.entries(this.addresses).map(
        async ([name, address]) =>
          [name, await checkHealth(address, this.config.READINESS_TIMEOUT_MS)] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  close(): void {
    for (const client of [
      this.identity,
      this.numbering,
      this.messaging,
      this.billing,
      this.payments,
      this.invoices,
      this.privacy,
    ])
      client.close();
    for (const client of this.deadLetterClients.values()) client.close();
  }
}
