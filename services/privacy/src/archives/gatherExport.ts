import { EXPORT_PAGE_SIZE, type Transaction } from '@parley/kit';
import type { ExportParts } from '../db/exportParts';
import type { Identifiers } from '../db/schema';
import type { Participants } from '../participants';

/** A page stored as one row holds at most this many bytes of records (or EXPORT_PAGE_SIZE records). */
const PAGE_BYTES = 1024 * 1024;

/**
 * Pulls one participant's export of the subject (ExportSubject, one record per message) and stores it a
 * page at a time: the participant's own page size of records of one category, or 1 MiB, per insert.
 */
export function makeGatherExport(deps: { participants: Participants; parts: ExportParts }) {
  return async function gatherExport(
    tx: Transaction,
    request: { tenantId: string; requestId: string; participant: string; subject: Identifiers },
  ): Promise<void> {
    const { tenantId, requestId, participant } = request;
    let category = '';
    let page: string[] = [];
    let pageBytes = 0;
    const flush = async () => {
      await deps.parts.append(tx, { tenantId, requestId, participant, category }, page);
      page = [];
      pageBytes = 0;
    };
    const records = deps.participants.export(
      participant,
      { tenantId, principal: 'service:privacy', scopes: ['internal'] },
      { requestId, subject: request.subject },
    );
    for await (const item of records) {
      if (item.category !== category || page.length >= EXPORT_PAGE_SIZE || pageBytes >= PAGE_BYTES) {
        await flush();
        category = item.category;
      }
      page.push(item.recordJson);
      pageBytes += item.recordJson.length;
    }
    await flush();
  };
}
