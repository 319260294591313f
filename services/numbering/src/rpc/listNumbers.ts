import { decodePageToken, pageSize, type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberRepository } from '../db/numbers';

export function makeListNumbers(deps: { numbers: NumberRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.ListNumbersRequest>): Promise<numberingV1.ListNumbersResponse> => {
    const page = await deps.numbers.list(
      caller.tenantId,
      pageSize(request.pageSize),
      decodePageToken(request.pageToken),
    );
    return {
      numbers: page.items.map((row) => ({
        id: row.id,
        e164: row.e164,
        country: row.country,
        assignedAt: row.assignedAt,
      })),
      nextPageToken: page.nextPageToken,
    };
  };
}
