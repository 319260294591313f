import type { billingInvoicesV1 } from '@parley/proto';
import type { Backends } from '../../backends';
import { route } from '../route';
import { idParams, iso, nextPage, pageQuery, tenantIdParams, timestamp } from '../schemas';
import { z } from '../zod';

const minor = z
  .string()
  .regex(/^-?\d{1,18}$/, 'must be a whole number of minor units as a string')
  .openapi({ description: 'Minor units (cents) as a decimal string', example: '1234' });

const partySchema = z
  .object({
    name: z.string(),
    address: z.string(),
    country: z.string().openapi({ description: 'ISO 3166-1 alpha-2, empty when unknown' }),
    taxId: z.string(),
  })
  .openapi('InvoiceParty');

const invoiceSchema = z
  .object({
    id: z.uuid(),
    accountId: z
      .string()
      .nullable()
      .openapi({ description: "The sub-account invoiced; null for the tenant's own invoice" }),
    kind: z.enum(['invoice', 'credit_note']),
    period: z.string().openapi({ example: '2026-11' }),
    number: z.string().openapi({
      description: 'Gapless per tenant and month, assigned at issue; a credit note is `<invoice>-CN01`',
      example: 'INV-202611-0001',
    }),
    state: z.enum(['draft', 'issued', 'paid', 'void']),
    creditsInvoiceId: z
      .string()
      .openapi({ description: 'The invoice a credit note corrects; empty otherwise' }),
    currency: z.string().openapi({ example: 'EUR' }),
    subtotalsMinor: z.record(z.string(), minor).openapi({
      description: 'Sum of the lines per category',
      example: { sms_outbound: '1200', number_rent: '115' },
    }),
    subtotalMinor: minor,
    taxPercent: z.string().openapi({ description: "The plan's rate for the billing country", example: '19' }),
    taxCountry: z.string().openapi({ example: 'DE' }),
    taxMinor: minor.openapi({ description: 'Tax on the subtotal, rounded once (half away from zero)' }),
    totalMinor: minor.openapi({ description: 'subtotalMinor + taxMinor, exactly' }),
    paidMinor: minor,
    lineCount: z.number().int(),
    seller: partySchema,
    buyer: partySchema,
    reason: z.string(),
    issuedAt: timestamp,
    dueAt: timestamp,
    paidAt: timestamp.nullable(),
    voidedAt: timestamp.nullable(),
    anonymisedAt: timestamp
      .nullable()
      .openapi({ description: "Set once the buyer's personal data was anonymised (an erasure)" }),
  })
  .openapi('Invoice');

const lineSchema = z
  .object({
    lineNo: z.number().int(),
    category: z.string().openapi({ example: 'sms_outbound' }),
    reference: z.string().openapi({ description: 'The message, call or number id' }),
    occurredAt: timestamp,
    from: z.string(),
    to: z.string(),
    country: z.string(),
    quantity: z.string().openapi({ example: '2' }),
    unit: z.string().openapi({ example: 'segment' }),
    unitPrice: z.string().openapi({ example: '0.075' }),
    amountMinor: minor,
  })
  .openapi('InvoiceLine');

const draftSchema = invoiceSchema.omit({ id: true }).openapi('DraftInvoice');

function invoiceJson(invoice: billingInvoicesV1.Invoice | undefined): z.infer<typeof invoiceSchema> {
  const value = invoice!;
  return {
    id: value.id,
    accountId: value.accountId || null,
    kind: value.kind as 'invoice' | 'credit_note',
    period: value.period,
    number: value.number,
    state: value.state as 'draft' | 'issued' | 'paid' | 'void',
    creditsInvoiceId: value.creditsInvoiceId,
    currency: value.currency,
    subtotalsMinor: value.subtotalsMinor,
    subtotalMinor: value.subtotalMinor,
    taxPercent: value.taxPercent,
    taxCountry: value.taxCountry,
    taxMinor: value.taxMinor,
    totalMinor: value.totalMinor,
    paidMinor: value.paidMinor,
    lineCount: value.lineCount,
    seller: value.seller ?? { name: '', address: '', country: '', taxId: '' },
    buyer: value.buyer ?? { name: '', address: '', country: '', taxId: '' },
    reason: value.reason,
    issuedAt: iso(value.issuedAt) ?? '',
    dueAt: iso(value.dueAt) ?? '',
    paidAt: iso(value.paidAt) ?? null,
    voidedAt: iso(value.voidedAt) ?? null,
    anonymisedAt: iso(value.anonymisedAt) ?? null,
  };
}

const profileSchema = z
  .object({
    accountId: z.string().max(100).optional().openapi({ description: 'Empty or absent: the tenant itself' }),
    name: z.string().max(200).openapi({ example: 'Acme Ltd' }),
    address: z.string().max(1000).optional().openapi({ example: '1 Main Street; London' }),
    email: z.string().max(320).optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
      .optional()
      .openapi({ example: 'GB' }),
    taxId: z.string().max(50).optional(),
    invoicePrefix: z
      .string()
      .regex(/^[A-Z0-9]{1,10}$/, 'must be 1 to 10 capital letters or digits')
      .optional()
      .openapi({ example: 'ACME' }),
  })
  .strict()
  .openapi('BillingProfile');

const invoiceIdParams = idParams.extend({}).openapi({ description: 'The invoice id' });
const adminInvoiceParams = z.object({ tenantId: tenantIdParams.shape.id, id: idParams.shape.id });

/** Invoices: a tenant reads its own (JSON, PDF); platform operators run, void and correct them. */
export function invoiceRoutes(backends: Backends) {
  const { invoices } = backends;
  return [
    route({
      method: 'get',
      path: '/v1/invoices',
      operationId: 'listInvoices',
      problems: ['PAGE_TOKEN_INVALID'],
      summary: "The tenant's invoices and credit notes, newest first",
      tags: ['Invoices'],
      scope: 'billing:read',
      query: pageQuery,
      response: {
        status: 200,
        description: 'A page of invoices',
        schema: z
          .object({ invoices: z.array(invoiceSchema), nextPageToken: nextPage })
          .openapi('InvoiceList'),
      },
      handler: async ({ caller, query }) => {
        const answer = await backends.as(caller, invoices, invoices.listInvoices, {
          pageSize: query.pageSize ?? 0,
          pageToken: query.pageToken ?? '',
        });
        return { invoices: answer.invoices.map(invoiceJson), nextPageToken: answer.nextPageToken };
      },
    }),
    // Before /v1/invoices/{id}, which would otherwise take "draft" as its id.
    route({
      method: 'get',
      path: '/v1/invoices/draft',
      operationId: 'getDraftInvoice',
      problems: ['PERIOD_INVALID', 'PERIOD_CLOSED', 'BILLING_ACCOUNT_NOT_FOUND'],
      summary: "An open period's invoice as it stands",
      description:
        'Subtotals per category, tax and total of the usage rated so far in an open period (default: the current month), for the tenant or one of its accounts. A draft has no id and no number: numbers are assigned when the invoice is issued. Its lines are the usage (`GET /v1/usage`).',
      tags: ['Invoices'],
      scope: 'billing:read',
      query: z.object({
        period: z
          .string()
          .regex(/^(\d{4}-(0[1-9]|1[0-2])|current)$/, 'must be YYYY-MM or "current"')
          .optional()
          .openapi({ example: 'current' }),
        accountId: z.string().max(100).optional(),
      }),
      response: { status: 200, description: 'The draft (state `draft`)', schema: draftSchema },
      handler: async ({ caller, query }) => {
        const answer = await backends.as(caller, invoices, invoices.getDraftInvoice, {
          period: query.period ?? '',
          accountId: query.accountId ?? '',
        });
        const { id: _id, ...draft } = invoiceJson(answer.invoice);
        return draft;
      },
    }),
    // Also before /v1/invoices/{id}, which would otherwise take "<id>.pdf" as its id.
    route({
      method: 'get',
      path: '/v1/invoices/{id}.pdf',
      operationId: 'getInvoicePdf',
      problems: ['INVOICE_NOT_FOUND', 'INVOICE_ID_INVALID'],
      summary: 'The invoice as a PDF',
      description:
        'Seller and buyer, number, dates, every line, subtotals per category, tax and total, with page numbers. Streamed as it is rendered: a long invoice starts downloading at once.',
      tags: ['Invoices'],
      scope: 'billing:read',
      params: invoiceIdParams,
      response: {
        status: 200,
        description: 'The PDF',
        schema: z.string().openapi({ format: 'binary' }),
        contentType: 'application/pdf',
      },
      handler: async ({ caller, params }) => {
        const stream = invoices.getInvoicePdf({ id: params.id }, await backends.metadataFor(caller));
        async function* chunks(): AsyncIterable<Buffer> {
          for await (const item of stream as AsyncIterable<billingInvoicesV1.GetInvoicePdfResponse>) {
            yield Buffer.from(item.chunk);
          }
        }
        return { file: { name: `invoice-${params.id}.pdf`, stream: chunks() } } as never;
      },
    }),
    route({
      method: 'get',
      path: '/v1/invoices/{id}',
      operationId: 'getInvoice',
      problems: ['INVOICE_NOT_FOUND'],
      summary: 'An invoice with a page of its lines',
      description:
        'Lines come in pages of `linePageSize` (default 1000, at most 5000) after line `afterLine`; `nextAfterLine` is 0 on the last page. Each message line has its time, from, to and segments; each call its time, from, to and minutes.',
      tags: ['Invoices'],
      scope: 'billing:read',
      params: invoiceIdParams,
      query: z.object({
        linePageSize: z.coerce.number().int().min(1).max(5000).optional(),
        afterLine: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
      }),
      response: {
        status: 200,
        description: 'The invoice and a page of its lines',
        schema: z
          .object({ invoice: invoiceSchema, lines: z.array(lineSchema), nextAfterLine: z.number().int() })
          .openapi('InvoiceWithLines'),
      },
      handler: async ({ caller, params, query }) => {
        const answer = await backends.as(caller, invoices, invoices.getInvoice, {
          id: params.id,
          linePageSize: query.linePageSize ?? 0,
          afterLine: query.afterLine ?? 0,
        });
        return {
          invoice: invoiceJson(answer.invoice),
          lines: answer.lines.map((line) => ({
            lineNo: line.lineNo,
            category: line.category,
            reference: line.reference,
            occurredAt: iso(line.occurredAt) ?? '',
            from: line.from,
            to: line.to,
            country: line.country,
            quantity: line.quantity,
            unit: line.unit,
            unitPrice: line.unitPrice,
            amountMinor: line.amountMinor,
          })),
          nextAfterLine: answer.nextAfterLine,
        };
      },
    }),
    route({
      method: 'put',
      path: '/v1/billing-profile',
      operationId: 'setBillingProfile',
      problems: ['BILLING_PROFILE_INVALID'],
      summary: "Whom the tenant's (or a sub-account's) invoices are addressed to",
      description:
        "The billing country chooses the plan's tax rate and the legal retention of the invoices. The invoice number prefix (tenant profile only) applies to invoices issued afterwards.",
      tags: ['Invoices'],
      scope: 'billing:write',
      idempotent: false,
      body: profileSchema,
      response: { status: 200, description: 'The profile saved', schema: profileSchema },
      handler: async ({ caller, body }) => {
        await backends.as(caller, invoices, invoices.setBillingProfile, {
          accountId: body.accountId ?? '',
          name: body.name,
          address: body.address ?? '',
          email: body.email ?? '',
          country: body.country ?? '',
          taxId: body.taxId ?? '',
          invoicePrefix: body.invoicePrefix ?? '',
        });
        return body;
      },
    }),
    route({
      method: 'post',
      path: '/v1/admin/invoice-runs',
      operationId: 'runInvoices',
      problems: ['PERIOD_INVALID'],
      summary: 'Close a billing period and issue its invoices now',
      description:
        'For every tenant with the period open: closes it (usage rated afterwards goes on the next invoice) and issues one invoice per account with usage, numbered without gaps. `"current"` closes the running month early. Running it twice, or while the scheduled run works, issues nothing twice.',
      tags: ['Invoices'],
      scope: 'platform:admin',
      body: z
        .object({
          period: z
            .string()
            .regex(/^(\d{4}-(0[1-9]|1[0-2])|current)$/, 'must be YYYY-MM or "current"')
            .openapi({ example: '2026-11' }),
        })
        .strict()
        .openapi('InvoiceRunRequest'),
      response: {
        status: 200,
        description: 'The invoices this run issued',
        schema: z.object({ period: z.string(), invoices: z.array(invoiceSchema) }).openapi('InvoiceRun'),
      },
      handler: async ({ caller, body }) => {
        const answer = await backends.as(caller, invoices, invoices.runInvoices, { period: body.period });
        return { period: answer.period, invoices: answer.invoices.map(invoiceJson) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/admin/tenants/{tenantId}/invoices/{id}/void',
      operationId: 'voidInvoice',
      problems: ['INVOICE_NOT_FOUND', 'INVOICE_NOT_VOIDABLE'],
      summary: 'Void an issued invoice on which nothing was paid',
      description:
        'Its number stays used (no gap). An invoice that is paid, or whose payment is pending or waiting for the cardholder, cannot be voided (422 `INVOICE_NOT_VOIDABLE`): correct it with a credit note instead.',
      tags: ['Invoices'],
      scope: 'platform:admin',
      params: adminInvoiceParams,
      body: z
        .object({ reason: z.string().max(500) })
        .strict()
        .openapi('VoidInvoiceRequest'),
      response: { status: 200, description: 'The voided invoice', schema: invoiceSchema },
      handler: async ({ caller, params, body }) => {
        const answer = await backends.as(caller, invoices, invoices.voidInvoice, {
          tenantId: params.tenantId,
          id: params.id,
          reason: body.reason,
        });
        return invoiceJson(answer.invoice);
      },
    }),
    route({
      method: 'post',
      path: '/v1/admin/tenants/{tenantId}/invoices/{id}/credit-notes',
      operationId: 'createCreditNote',
      problems: ['INVOICE_NOT_FOUND', 'INVOICE_NOT_CREDITABLE', 'CREDIT_AMOUNT_INVALID'],
      summary: 'Correct an invoice with a credit note',
      description:
        "Issues `<invoice>-CN01` (then CN02, ...) crediting `subtotalMinor` at the invoice's tax rate; the invoice itself is never edited.",
      tags: ['Invoices'],
      scope: 'platform:admin',
      params: adminInvoiceParams,
      body: z
        .object({ subtotalMinor: minor, reason: z.string().max(500) })
        .strict()
        .openapi('CreateCreditNoteRequest'),
      response: { status: 201, description: 'The credit note', schema: invoiceSchema },
      handler: async ({ caller, params, body }) => {
        const answer = await backends.as(caller, invoices, invoices.createCreditNote, {
          tenantId: params.tenantId,
          invoiceId: params.id,
          subtotalMinor: body.subtotalMinor,
          reason: body.reason,
        });
        return invoiceJson(answer.creditNote);
      },
    }),
  ];
}
