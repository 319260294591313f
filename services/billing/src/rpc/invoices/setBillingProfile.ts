import { invalidArgument, type FieldViolation, type RpcContext } from '@parley/kit';
import type { billingInvoicesV1 } from '@parley/proto';
import type { InvoiceRepository } from '../../db/invoices';

/** SetBillingProfile: the buyer on the caller's tenant's (or a sub-account's) invoices, and its country. */
export function makeSetBillingProfile(deps: { invoices: InvoiceRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingInvoicesV1.SetBillingProfileRequest>): Promise<billingInvoicesV1.SetBillingProfileResponse> => {
    const violations: FieldViolation[] = [];
    const check = (ok: boolean, field: string, description: string) => {
      if (!ok) violations.push({ field, description });
    };
    check(request.accountId.length <= 100, 'accountId', 'at most 100 characters');
    check(request.name.length <= 200, 'name', 'at most 200 characters');
    check(request.address.length <= 1000, 'address', 'at most 1000 characters');
    check(request.email.length <= 320, 'email', 'at most 320 characters');
    check(
      request.country === '' || /^[A-Z]{2}$/.test(request.country),
      'country',
      'ISO 3166-1 alpha-2, e.g. DE',
    );
    check(request.taxId.length <= 50, 'taxId', 'at most 50 characters');
    check(
      request.invoicePrefix === '' || /^[A-Z0-9]{1,10}$/.test(request.invoicePrefix),
      'invoicePrefix',
      '1 to 10 capital letters or digits',
    );
    check(
      request.invoicePrefix === '' || request.accountId === '',
      'invoicePrefix',
      "set on the tenant's own profile only",
    );
    if (violations.length > 0)
      throw invalidArgument('BILLING_PROFILE_INVALID', 'the billing profile is invalid', violations);
    await deps.invoices.saveProfile(caller.tenantId, {
      accountId: request.accountId,
      name: request.name,
      address: request.address,
      email: request.email,
      country: request.country || null,
      taxId: request.taxId,
      ...(request.invoicePrefix ? { invoicePrefix: request.invoicePrefix } : {}),
    });
    return {};
  };
}
