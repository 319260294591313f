import {
  locateAssets,
  ServiceRuntime,
  startCallbackServer,
  type App,
  type CallbackServer,
  type Transaction,
} from '@parley/kit';
import { billingInvoicesV1, billingPaymentsV1, billingV1, protoFiles } from '@parley/proto';
import { version } from '../package.json';
import type { Config } from './config';
import { AccountRepository } from './db/accounts';
import { PlanRepository } from './db/plans';
import { AccountPlanRepository } from './db/accountPlans';
import { makeCreateAccountPlan } from './rpc/createAccountPlan';
import { makeAddAccountPlanVersion } from './rpc/addAccountPlanVersion';
import { makeListAccountPlans } from './rpc/listAccountPlans';
import { makeGetAccountPlan } from './rpc/getAccountPlan';
import { makeSetAccountPlan } from './rpc/setAccountPlan';
import { makeGetAccountPlanAssignment } from './rpc/getAccountPlanAssignment';
import { UsageRepository } from './db/usage';
import { makeGetBalance } from './rpc/getBalance';
import { makeCreatePlan } from './rpc/createPlan';
import { makeAddPlanVersion } from './rpc/addPlanVersion';
import { makeListPlans } from './rpc/listPlans';
import { makeAssignPlan } from './rpc/assignPlan';
import { makeGetPlan } from './rpc/getPlan';
import { makeGetReconciliation } from './rpc/getReconciliation';
import { makeAuthorise } from './rpc/authorise';
import { makeReleaseReservation } from './rpc/releaseReservation';
import { makeUpdateWallet } from './rpc/updateWallet';
import { makeSetLowBalanceThreshold } from './rpc/setLowBalanceThreshold';
import { makeSummariseUsage } from './rpc/summariseUsage';
import { WalletRepository } from './db/wallets';
import { Authoriser } from './domain/authoriser';
import { onTenantCreated } from './events/consumers/tenantCreated';
import { onTenantClosed } from './events/consumers/tenantClosed';
import { onAccountClosed } from './events/consumers/accountClosed';
import { onMessageSent } from './events/consumers/messageSent';
import { onMessageReceived } from './events/consumers/messageReceived';
import { onCallRecorded } from './events/consumers/callRecorded';
import { onNumberAssigned } from './events/consumers/numberAssigned';
import { onNumberReleased } from './events/consumers/numberReleased';
import { onMessageFailed } from './events/consumers/messageFailed';
import { makeMonthlyRent, MONTHLY_RENT_CRON, MONTHLY_RENT_QUEUE } from './jobs/monthlyRent';
import { PaymentRepository } from './db/payments';
import type { PaymentProcessor } from './domain/paymentProcessor';
import { makeCreatePaymentMethod } from './rpc/createPaymentMethod';
import { makeListPaymentMethods } from './rpc/listPaymentMethods';
import { makeCreateTopUp } from './rpc/createTopUp';
import { makeGetTopUp } from './rpc/getTopUp';
import { makeCreateRefund } from './rpc/createRefund';
import { PaymentSimProcessor } from './processor/paymentSim';
import { makeOnProcessorWebhook, PAYMENT_WEBHOOK_PATH } from './processor/onProcessorWebhook';
import { InvoiceRepository } from './db/invoices';
import { INVOICE_RUN_CRON, INVOICE_RUN_QUEUE, makeInvoiceRun } from './jobs/invoiceRun';
import { makeRunInvoices } from './rpc/invoices/runInvoices';
import { makeListInvoices } from './rpc/invoices/listInvoices';
import { makeGetInvoice } from './rpc/invoices/getInvoice';
import { makeGetInvoicePdf } from './rpc/invoices/getInvoicePdf';
import { makeGetDraftInvoice } from './rpc/invoices/getDraftInvoice';
import { makeSetBillingProfile } from './rpc/invoices/setBillingProfile';
import { makeVoidInvoice } from './rpc/invoices/voidInvoice';
import { makeCreateCreditNote } from './rpc/invoices/createCreditNote';
import { billingParticipant, paymentMethodsPart } from './privacy';
import { retentionPeriods } from './domain/retention';
import { InvoicePaymentRepository } from './db/invoicePayments';
import {
  makeCreateInvoicePayment,
  makeListInvoicePayments,
  type PayInvoiceDeps,
} from './rpc/createInvoicePayment';
import { makeGetRefund, makeListRefunds, makeListTopUps } from './rpc/listPaymentRecords';
import { CHARGE_INVOICE_QUEUE, CHARGE_INVOICE_RETRIES, makeChargeInvoice } from './jobs/chargeInvoice';
import {
  makeSettleCharge,
  SETTLE_CHARGE_AFTER_SECONDS,
  SETTLE_CHARGE_QUEUE,
  SETTLE_CHARGE_RETRIES,
  type SettleChargeJob,
} from './jobs/settleCharge';

export interface BillingApp extends App {
  runtime: ServiceRuntime;
  /** Moves a tenant's wallet once per reference, in the caller's transaction (top-ups, refunds). */
  wallet: WalletRepository;
  /** The processor's webhook endpoint once started (undefined without a payment processor). */
  paymentWebhooks(): CallbackServer | undefined;
  /** Invoices and credit notes. */
  invoices: InvoiceRepository;
  /** Payments of invoices (charged after issue or on demand). */
  invoicePayments: InvoicePaymentRepository;
  /** The payment processor (undefined when PAYMENT_PROCESSOR=none). */
  processor: PaymentProcessor | undefined;
  /** Settles a pending top-up or invoice payment from the processor's state (the settlement job's handler). */
  settleCharge: ReturnType<typeof makeSettleCharge>;
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

/** A reservation not released nor rated within this is dropped (the send's usage is rated well before). */
const RESERVATION_TTL_MS = 10 * 60_000;
/** How long a replica trusts a wallet's plan before reading it again (balances follow events meanwhile). */
const WALLET_REFRESH_MS = 60_000;

/** Composition root: builds the runtime, then the repositories, then the RPC handlers and consumers. */
export function buildApp(config: Config, options: { now?: () => Date } = {}): BillingApp {
  const runtime = new ServiceRuntime({
    service: 'billing',
    version,
    env: config,
    assets: locateAssets(__dirname),
    protoFiles: [protoFiles.billing, protoFiles.billingPayments, protoFiles.billingInvoices],
  });
  const now = options.now ?? (() => new Date());
  const plans = new PlanRepository(runtime.db);
  const wallet = new WalletRepository(runtime.outbox);
  const accounts = new AccountRepository(runtime.db, plans, wallet);
  const usage = new UsageRepository(wallet);
  const accountPlans = new AccountPlanRepository(runtime.db);
  const authoriser = new Authoriser({
    load: (tenantId) => accounts.walletState(tenantId),
    now,
    reservationTtlMs: RESERVATION_TTL_MS,
    refreshMs: WALLET_REFRESH_MS,
  });
  const rating = { accounts, plans, usage, accountPlans };
  const invoices = new InvoiceRepository({
    db: runtime.db,
    accounts,
    plans,
    accountPlans,
    usage,
    now,
    // A postpaid tenant's invoice is charged to its default payment method by a job sent with the invoice.
    onIssuedPostpaid: async (tx, invoice) => {
      if (config.PAYMENT_PROCESSOR === 'none') return;
      await runtime.jobs.send(
        CHARGE_INVOICE_QUEUE,
        { invoiceId: invoice.id },
        { tx, tenantId: invoice.tenantId, id: invoice.id, ...CHARGE_INVOICE_RETRIES },
      );
    },
    seller: {
      name: config.INVOICE_SELLER_NAME,
      address: config.INVOICE_SELLER_ADDRESS,
      country: '',
      taxId: config.INVOICE_SELLER_TAX_ID,
    },
  });
  const rpc = runtime.unary.bind(runtime);
  const platform = { scope: 'platform:admin', tenant: false } as const;
  const payments = new PaymentRepository(runtime.db, wallet);
  const invoicePayments = new InvoicePaymentRepository(runtime.db, invoices, wallet);
  const processor = paymentProcessor(config);
  /** The settlement job of a new top-up or invoice payment, sent in the transaction that creates it. */
  const settleLater = (tx: Transaction, tenantId: string, job: SettleChargeJob) =>
    runtime.jobs
      .send(SETTLE_CHARGE_QUEUE, job, {
        tx,
        tenantId,
        startAfter: SETTLE_CHARGE_AFTER_SECONDS,
        ...SETTLE_CHARGE_RETRIES,
      })
      .then(() => undefined);
  const payInvoiceDeps: PayInvoiceDeps = {
    processor,
    payments,
    invoicePayments,
    onClaimed: (tx, payment) =>
      settleLater(tx, payment.tenantId, { kind: 'invoice-payment', id: payment.id }),
  };
  const settleCharge = makeSettleCharge({ processor, payments, invoicePayments, now });
  const read = { scope: 'billing:read' } as const;
  const write = { scope: 'billing:write' } as const;
  const implementation: billingV1.BillingServiceServer = {
    getBalance: rpc('GetBalance', makeGetBalance({ accounts }), read),
    createPlan: rpc('CreatePlan', makeCreatePlan({ plans, now }), platform),
    addPlanVersion: rpc('AddPlanVersion', makeAddPlanVersion({ plans, now }), platform),
    listPlans: rpc('ListPlans', makeListPlans({ plans }), platform),
    assignPlan: rpc('AssignPlan', makeAssignPlan({ accounts }), platform),
    getPlan: rpc('GetPlan', makeGetPlan({ accounts, plans }), { scope: 'billing:read' }),
    getReconciliation: rpc('GetReconciliation', makeGetReconciliation({ db: runtime.db }), platform),
    // Messaging asks before it queues a send, as the tenant's caller.
    authorise: rpc('Authorise', makeAuthorise({ authoriser }), { scope: ['messages:write', 'internal'] }),
    releaseReservation: rpc('ReleaseReservation', makeReleaseReservation({ authoriser }), {
      scope: ['messages:write', 'internal'],
    }),
    updateWallet: rpc('UpdateWallet', makeUpdateWallet({ db: runtime.db, wallet }), platform),
    setLowBalanceThreshold: rpc(
      'SetLowBalanceThreshold',
      makeSetLowBalanceThreshold({ db: runtime.db, wallet }),
      { scope: 'billing:write' },
    ),
    summariseUsage: rpc('SummariseUsage', makeSummariseUsage({ db: runtime.db, now }), read),
    // A tenant's own prices for its sub-accounts: the tenant's billing scopes, walled off by tenant.
    createAccountPlan: rpc(
      'CreateAccountPlan',
      makeCreateAccountPlan({ db: runtime.db, accounts, accountPlans, now }),
      write,
    ),
    addAccountPlanVersion: rpc(
      'AddAccountPlanVersion',
      makeAddAccountPlanVersion({ db: runtime.db, accountPlans, now }),
      write,
    ),
    listAccountPlans: rpc('ListAccountPlans', makeListAccountPlans({ accountPlans }), read),
    getAccountPlan: rpc('GetAccountPlan', makeGetAccountPlan({ db: runtime.db, accountPlans }), read),
    setAccountPlan: rpc('SetAccountPlan', makeSetAccountPlan({ accountPlans }), write),
    getAccountPlanAssignment: rpc(
      'GetAccountPlanAssignment',
      makeGetAccountPlanAssignment({ db: runtime.db, accountPlans }),
      read,
    ),
  };
  const paymentsImplementation: billingPaymentsV1.PaymentsServiceServer = {
    createPaymentMethod: rpc('CreatePaymentMethod', makeCreatePaymentMethod({ processor, payments }), write),
    listPaymentMethods: rpc('ListPaymentMethods', makeListPaymentMethods({ payments }), read),
    createTopUp: rpc(
      'CreateTopUp',
      makeCreateTopUp({
        processor,
        payments,
        accounts,
        onClaimed: (tx, topUp) => settleLater(tx, topUp.tenantId, { kind: 'top-up', id: topUp.id }),
      }),
      write,
    ),
    getTopUp: rpc('GetTopUp', makeGetTopUp({ payments }), read),
    createRefund: rpc('CreateRefund', makeCreateRefund({ processor, payments }), write),
    listTopUps: rpc('ListTopUps', makeListTopUps({ payments }), read),
    listRefunds: rpc('ListRefunds', makeListRefunds({ payments }), read),
    getRefund: rpc('GetRefund', makeGetRefund({ payments }), read),
    createInvoicePayment: rpc('CreateInvoicePayment', makeCreateInvoicePayment(payInvoiceDeps), write),
    listInvoicePayments: rpc('ListInvoicePayments', makeListInvoicePayments({ invoicePayments }), read),
  };
  const invoicing: billingInvoicesV1.InvoicesServiceServer = {
    runInvoices: rpc('RunInvoices', makeRunInvoices({ invoices, now }), platform),
    listInvoices: rpc('ListInvoices', makeListInvoices({ db: runtime.db, invoices }), {
      scope: 'billing:read',
    }),
    getInvoice: rpc('GetInvoice', makeGetInvoice({ db: runtime.db, invoices }), { scope: 'billing:read' }),
    getDraftInvoice: rpc('GetDraftInvoice', makeGetDraftInvoice({ db: runtime.db, invoices, now }), {
      scope: 'billing:read',
    }),
    getInvoicePdf: runtime.serverStream('GetInvoicePdf', makeGetInvoicePdf({ db: runtime.db, invoices }), {
      scope: 'billing:read',
    }),
    setBillingProfile: rpc('SetBillingProfile', makeSetBillingProfile({ invoices }), {
      scope: 'billing:write',
    }),
    voidInvoice: rpc('VoidInvoice', makeVoidInvoice({ invoices }), platform),
    createCreditNote: rpc('CreateCreditNote', makeCreateCreditNote({ invoices }), platform),
  };
  let webhooks: CallbackServer | undefined;
  return {
    runtime,
    wallet,
    invoices,
    invoicePayments,
    processor,
    settleCharge,
    paymentWebhooks: () => webhooks,
    start: async () => {
      await runtime.jobs.work(MONTHLY_RENT_QUEUE, makeMonthlyRent({ ...rating, db: runtime.db }), {
        retryLimit: 20,
        retryBackoff: true,
        retryDelayMaxSeconds: 3600,
      });
      await runtime.jobs.schedule(MONTHLY_RENT_QUEUE, MONTHLY_RENT_CRON, { tz: 'UTC' });
      await runtime.jobs.work(
        INVOICE_RUN_QUEUE,
        makeInvoiceRun({ invoices, graceHours: config.INVOICE_GRACE_HOURS, now }),
        { retryLimit: 20, retryBackoff: true, retryDelayMaxSeconds: 3600 },
      );
      await runtime.jobs.schedule(INVOICE_RUN_QUEUE, INVOICE_RUN_CRON, { tz: 'UTC' });
      await runtime.jobs.work(
        CHARGE_INVOICE_QUEUE,
        makeChargeInvoice(payInvoiceDeps),
        CHARGE_INVOICE_RETRIES,
      );
      await runtime.jobs.work(SETTLE_CHARGE_QUEUE, settleCharge, SETTLE_CHARGE_RETRIES);
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
          {
            name: 'parley.billing.v1.InvoicesService',
            definition: billingInvoicesV1.InvoicesServiceService,
            implementation: invoicing,
          },
        ],
        participant: billingParticipant([paymentMethodsPart(processor)], {
          periods: retentionPeriods(config.BILLING_RETENTION_YEARS, config.BILLING_RETENTION_DEFAULT_YEARS),
          now,
        }),
        consumers: [
          onTenantCreated({
            accounts,
            currency: config.BILLING_DEFAULT_CURRENCY,
            billingMode: config.BILLING_NEW_TENANT_MODE,
          }),
          onTenantClosed(),
          onAccountClosed(),
          onMessageSent(rating),
          onMessageReceived(rating),
          onCallRecorded(rating),
          onNumberAssigned({ ...rating, now }),
          onNumberReleased({ usage }),
          onMessageFailed({ accounts, wallet }),
        ],
        broadcasts: [
          {
            name: 'authorisation',
            types: 'billing.balance.changed',
            handle: (envelope) => authoriser.apply(envelope),
          },
        ],
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
            invoicePayments,
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
