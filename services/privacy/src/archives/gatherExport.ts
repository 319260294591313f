import { EXPORT_PAGE_SIZE, type Transaction } from '@parley/kit';
import type { ExportParts } from '../db/exportParts';
import type { Identifiers } from '../db/schema';
import type { Participants } from '../participants';

/** A page stored as one row holds at most this many bytes of records (or EXPORT_PAGE_SIZE records). */
const PAGE_BYTES = 1024 * 1024;

/**
 * Pulls one participant's export of the subject (ExportSubject: a page of records per message, or one
 * record per message from a participant from before pages) and stores it a page at a time: up to the
 * participant's own page size of records (or 1 MiB) of one category per insert.
 * A participant may interleave categories (a message's metadata, then its content), so a page is kept per
 * category; each category's pages are stored in the order its records came. Returns how many records of
 * each category were stored: the export receipt's counts.
 */
export function makeGatherExport(deps: { participants: Participants; parts: ExportParts }) {
  return async function gatherExport(
    tx: Transaction,
    request: { tenantId: string; requestId: string; participant: string; subject: Identifiers },
  ): Promise<Map<string, number>> {
    const { tenantId, requestId, participant } = request;
    const pages = new Map<string, { records: string[]; bytes: number }>();
    const counts = new Map<string, number>();
    const store = async (category: string, records: string[]) =>
      deps.parts.append(tx, { tenantId, requestId, participant, category }, records);
    const records = deps.participants.export(
      participant,
      { tenantId, principal: 'service:privacy', scopes: ['internal'] },
      { requestId, subject: request.subject },
    );
    for await (const message of records) {
      for (const { category, recordJson } of message) {
        let page = pages.get(category);
        if (!page) pages.set(category, (page = { records: [], bytes: 0 }));
        page.records.push(recordJson);
        counts.set(category, (counts.get(category) ?? 0) + 1);
        page.bytes += recordJson.length;
        if (page.records.length >= EXPORT_PAGE_SIZE || page.bytes >= PAGE_BYTES) {
          pages.delete(category);
          await store(category, page.records);
        }
      }
    }
    for (const [category, page] of pages) await store(category, page.records);
    return counts;
  };
}
