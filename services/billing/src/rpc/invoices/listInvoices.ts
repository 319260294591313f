import { invalidArgument, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { billingInvoicesV1 } from '@parley/proto';
import type { InvoiceRepository } from '../../db/invoices';
import { invoiceMessage } from './messages';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

/** The page token: the last invoice's issue time and id (a keyset), base64url. */
function readToken(token: string): { issuedAt: Date; id: string } | undefined {
  if (!token) return undefined;
  const [at, id] = Buffer.from(token, 'base64url').toString().split('|');
  const issuedAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(issuedAt.getTime())) {
    throw invalidArgument('PAGE_TOKEN_INVALID', 'pageToken is not one this API returned', [
      { field: 'pageToken', description: 'the nextPageToken of a previous page' },
    ]);
  }
  return { issuedAt, id };
}

/** ListInvoices: the caller's tenant's invoices and credit notes, newest first. */
export function makeListInvoices(deps: { db: Database; invoices: InvoiceRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingInvoicesV1.ListInvoicesRequest>): Promise<billingInvoicesV1.ListInvoicesResponse> => {
    const limit = Math.min(Math.max(request.pageSize || DEFAULT_PAGE, 1), MAX_PAGE);
    const after = readToken(request.pageToken);
    const rows = await withTenant(deps.db, caller.tenantId, (tx) =>
      deps.invoices.list(tx, caller.tenantId, limit + 1, after),
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      invoices: page.map(invoiceMessage),
      nextPageToken:
        rows.length > limit && last
          ? Buffer.from(`${last.issuedAt.toISOString()}|${last.id}`).toString('base64url')
          : '',
    };
  };
}
