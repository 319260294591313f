import { sql } from 'drizzle-orm';
import { isUuid, invalidArgument, withTenant, type Database, type RpcContext } from '@parley/kit';
import type { identityV1 } from '@parley/proto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { accounts } from '../db/schema';

/**
 * Finds every identifier identity holds for a data subject named by one of them, so a privacy request
 * reaches all of the subject's data. An unknown subject resolves to just the identifier given.
 */
export function makeResolveSubject(deps: { db: Database }) {
  return async ({
    request,
    caller,
  }: RpcContext<identityV1.ResolveSubjectRequest>): Promise<identityV1.ResolveSubjectResponse> => {
    const given = [request.accountId, request.email, request.phone].filter((value) => value !== '');
    if (given.length !== 1) {
      throw invalidArgument(
        'SUBJECT_INVALID',
        'name the subject by exactly one of accountId, email or phone',
        [{ field: 'subject', description: 'exactly one of accountId, email, phone' }],
      );
    }
    const phone = request.phone ? (parsePhoneNumberFromString(request.phone)?.number ?? request.phone) : '';
    const rows = await withTenant(deps.db, caller.tenantId, (tx) =>
      tx
        .select()
        .from(accounts)
        .where(
          request.accountId
            ? isUuid(request.accountId)
              ? sql`${accounts.id} = ${request.accountId}`
              : sql`false`
            : request.email
              ? sql`lower(${accounts.email}) = lower(${request.email})`
              : sql`${accounts.phone} = ${phone}`,
        ),
    );
    const unique = (values: (string | null)[]) => [
      ...new Set(values.filter((value): value is string => Boolean(value))),
    ];
    return {
      found: rows.length > 0,
      accountIds: unique([...rows.map((row) => row.id), request.accountId]),
      emails: unique([...rows.map((row) => row.email.toLowerCase()), request.email.toLowerCase()]),
      phones: unique([...rows.map((row) => row.phone), phone]),
      userIds: unique(rows.map((row) => row.idpUserId)),
    };
  };
}
