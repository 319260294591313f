import { invalidArgument, notFound, type RpcContext } from '@parley/kit';
import type { billingPaymentsV1 } from '@parley/proto';
import type { PaymentRepository, RecordFilter } from '../db/payments';
import { refundMessage, topUpMessage } from './paymentMessages';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

/**
 * The request's filter checked: a status the records can have, a time range in order, and a page token
 * that is one of ours (the last id of the previous page, base64url).
 */
function recordFilter(
  filter: billingPaymentsV1.PageFilter | undefined,
  prefix: 'tu' | 'rf',
  statuses: readonly string[],
): RecordFilter {
  const status = filter?.status ?? '';
  if (status && !statuses.includes(status))
    throw invalidArgument('STATUS_INVALID', `status must be one of ${statuses.join(', ')}`, [
      { field: 'status', description: statuses.join(', ') },
    ]);
  const { createdAfter, createdBefore } = filter ?? {};
  if (createdAfter && createdBefore && createdAfter.getTime() >= createdBefore.getTime())
    throw invalidArgument('TIME_RANGE_INVALID', 'createdAfter must be before createdBefore', [
      { field: 'createdAfter', description: 'before createdBefore' },
    ]);
  let afterId: string | undefined;
  if (filter?.pageToken) {
    afterId = Buffer.from(filter.pageToken, 'base64url').toString();
    if (!new RegExp(`^${prefix}_[0-9a-f]{24}$`).test(afterId))
      throw invalidArgument('PAGE_TOKEN_INVALID', 'pageToken is not one this API returned', [
        { field: 'pageToken', description: 'the nextPageToken of a previous page' },
      ]);
  }
  const limit = Math.min(Math.max(filter?.pageSize || DEFAULT_PAGE, 1), MAX_PAGE);
  return {
    status: status || undefined,
    createdFrom: createdAfter ?? undefined,
    createdTo: createdBefore ?? undefined,
    afterId,
    limit: limit + 1,
  };
}

/** One page of `rows` (fetched one over the page size) and the token of the next. */
function page<Row extends { id: string }>(rows: Row[], limit: number) {
  const shown = rows.slice(0, limit - 1);
  const last = shown[shown.length - 1];
  return {
    shown,
    nextPageToken: rows.length >= limit && last ? Buffer.from(last.id).toString('base64url') : '',
  };
}

/** ListTopUps: the caller's tenant's top-ups, newest first. */
export function makeListTopUps(deps: { payments: PaymentRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingPaymentsV1.ListTopUpsRequest>): Promise<billingPaymentsV1.ListTopUpsResponse> => {
    const filter = recordFilter(request.filter, 'tu', ['pending', 'requires_action', 'succeeded', 'failed']);
    const { shown, nextPageToken } = page(
      await deps.payments.listTopUps(caller.tenantId, filter),
      filter.limit,
    );
    return { topUps: shown.map(topUpMessage), nextPageToken };
  };
}

/** ListRefunds: the caller's tenant's refunds, newest first. */
export function makeListRefunds(deps: { payments: PaymentRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingPaymentsV1.ListRefundsRequest>): Promise<billingPaymentsV1.ListRefundsResponse> => {
    const filter = recordFilter(request.filter, 'rf', ['pending', 'succeeded', 'failed']);
    const { shown, nextPageToken } = page(
      await deps.payments.listRefunds(caller.tenantId, filter),
      filter.limit,
    );
    return { refunds: shown.map(refundMessage), nextPageToken };
  };
}

/** GetRefund: one refund of the caller's tenant. */
export function makeGetRefund(deps: { payments: PaymentRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<billingPaymentsV1.GetRefundRequest>): Promise<billingPaymentsV1.GetRefundResponse> => {
    const row = await deps.payments.refund(caller.tenantId, request.id);
    if (!row) throw notFound('REFUND_NOT_FOUND', `no refund ${request.id}`);
    return { refund: refundMessage(row) };
  };
}
