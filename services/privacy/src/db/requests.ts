import { eq } from 'drizzle-orm';
import { isUuid, notFound, type Transaction } from '@parley/kit';
import { subjectRequests, type SubjectRequestRow } from './schema';

/** A request by id, or the not-found error that reveals nothing about other tenants' ids. */
export async function loadRequest(tx: Transaction, id: string): Promise<SubjectRequestRow> {
  const [row] = isUuid(id) ? await tx.select().from(subjectRequests).where(eq(subjectRequests.id, id)) : [];
  if (!row) throw notFound('PRIVACY_REQUEST_NOT_FOUND', `privacy request ${id} does not exist`);
  return row;
}
