import {
  locateAssets,
  ServiceRuntime,
  startCallbackServer,
  type App,
  type CallbackServer,
} from '@parley/kit';
import { billingPaymentsV1, billingV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { AccountRepository } from './db/accounts';
import { PaymentRepository } from './db/payments';
import { TableWallet } from './db/wallet';
import type { PaymentProcessor } from './domain/paymentProcessor';
import { makeGetBalance } from './rpc/getBalance';
import { makeCreatePaymentMethod } from './rpc/createPaymentMethod';
import { makeListPaymentMethods } from './rpc/listPaymentMethods';
import { makeCreateTopUp } from './rpc/createTopUp';
import { makeGetTopUp } from './rpc/getTopUp';
import { makeCreateRefund } from './rpc/createRefund';
import { onTenantCreated } from './events/consumers/tenantCreated';
import { PaymentSimProcessor } from './processor/paymentSim';
import { makeOnProcessorWebhook, PAYMENT_WEBHOOK_PATH } from './processor/onProcessorWebhook';

export interface BillingApp extends App {
  runtime: ServiceRuntime;
  /** The processor's webhook endpoint once started (undefined without a payment processor). */
  paymentWebhooks(): CallbackServer | undefined;
}

function paymentProcessor(config: Config): PaymentProcessor | undefined {
  if (config.PAYMENT_PROCESSOR === 'none') return undefined;
  return new PaymentSimProcessor({
    url: config.PAYMENT_PROCESSOR_URL!.replace(/\/$/, ''),
    secretKey: config.PAYMENT_PROCESSOR_SECRET_KEY!,
    webhookSecret: config.PAYMENT_WEBHOOK_SECRET!,
    timeoutMs: config.PAYMENT_PROCESSOR_TIMEOUT_MS,
  });
}

/** Composition root: builds the runtime, then the repositories, then the RPC handlers and consumers. */
export function buildApp(config: Config): BillingApp {
  const runtime = new ServiceRuntime({
    service: 'billing',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.billing, protoFiles.billingPayments],
  });
  const accounts = new AccountRepository(runtime.db);
  const payments = new PaymentRepository(runtime.db, new TableWallet());
  const processor = paymentProcessor(config);
  const read = { scope: 'billing:read' } as const;
  const write = { scope: 'billing:write' } as const;
  const implementation: billingV1.BillingServiceServer = {
    getBalance: runtime.unary('GetBalance', makeGetBalance({ accounts }), read),
  };
  const paymentsImplementation: billingPaymentsV1.PaymentsServiceServer = {
    createPaymentMethod: runtime.unary(
      'CreatePaymentMethod',
      makeCreatePaymentMethod({ processor, payments }),
      write,
    ),
    listPaymentMethods: runtime.unary('ListPaymentMethods', makeListPaymentMethods({ payments }), read),
    createTopUp: runtime.unary('CreateTopUp', makeCreateTopUp({ processor, payments, accounts }), write),
    getTopUp: runtime.unary('GetTopUp', makeGetTopUp({ payments }), read),
    createRefund: runtime.unary('CreateRefund', makeCreateRefund({ processor, payments }), write),
  };
  let webhooks: CallbackServer | undefined;
  return {
    runtime,
    paymentWebhooks: () => webhooks,
    start: async () => {
      await runtime.start({
        grpcServices: [
          {
            name: 'parley.billing.v1.BillingService',
            definition: billingV1.BillingServiceService,
            implementation,
          },
          {
            name: 'parley.billing.v1.PaymentsService',
            definition: billingPaymentsV1.PaymentsServiceService,
            implementation: paymentsImplementation,
          },
        ],
        consumers: [onTenantCreated({ accounts, currency: config.BILLING_DEFAULT_CURRENCY })],
      });
      if (processor)
        webhooks = await startCallbackServer({
          host: config.GRPC_HOST,
          port: config.PAYMENT_WEBHOOK_PORT,
          path: PAYMENT_WEBHOOK_PATH,
          maxBodyBytes: 64 * 1024,
          handle: makeOnProcessorWebhook({
            processor,
            payments,
            log: runtime.log.child({ component: 'payment-webhooks' }),
          }),
          log: runtime.log.child({ component: 'payment-webhooks' }),
        });
    },
    stop: async () => {
      await webhooks?.stop();
      await runtime.stop();
    },
    migrate: () => runtime.migrate(),
  };
}
