import { decodePageToken, pageSize, type FieldViolation, type RpcContext } from '@parley/kit';
import type { numberingV1 } from '@parley/proto';
import type { NumberRepository } from '../db/numbers';
import { invalidRequest } from '../domain/errors';
import { CAPABILITIES, NUMBER_STATUSES } from '../domain/numbers';
import { numberMessage } from './mappers';

export function makeListNumbers(deps: { numbers: NumberRepository }) {
  return async ({
    request,
    caller,
  }: RpcContext<numberingV1.ListNumbersRequest>): Promise<numberingV1.ListNumbersResponse> => {
    const violations: FieldViolation[] = [];
    if (request.capability && !(CAPABILITIES as string[]).includes(request.capability)) {
      violations.push({ field: 'capability', description: `one of ${CAPABILITIES.join(', ')}` });
    }
    if (request.status && !(NUMBER_STATUSES as readonly string[]).includes(request.status)) {
      violations.push({ field: 'status', description: `one of ${NUMBER_STATUSES.join(', ')}` });
    }
    if (request.country && !/^[A-Z]{2}$/.test(request.country)) {
      violations.push({ field: 'country', description: 'an ISO 3166-1 alpha-2 code, e.g. US' });
    }
    if (violations.length > 0) throw invalidRequest(violations);
    const page = await deps.numbers.list(
      caller.tenantId,
      pageSize(request.pageSize),
      decodePageToken(request.pageToken),
      {
        ...(request.capability ? { capability: request.capability } : {}),
        ...(request.status ? { status: request.status } : {}),
        ...(request.country ? { country: request.country } : {}),
        ...(request.accountId ? { accountId: request.accountId } : {}),
      },
    );
    return { numbers: page.items.map(numberMessage), nextPageToken: page.nextPageToken };
  };
}
