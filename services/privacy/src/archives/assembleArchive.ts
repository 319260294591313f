import type { Transaction } from '@parley/kit';
import type { ArchiveStore } from '../db/archiveStore';
import type { ExportParts } from '../db/exportParts';
import { writeArchive, type ArchiveHeading } from '../domain/archive';

/**
 * Makes a completed export's archive from the parts gathered, in the completing transaction: written as a
 * stream a page of records at a time and stored in sealed chunks as it fills, then the parts go.
 */
export function makeAssembleArchive(deps: { parts: ExportParts; store: ArchiveStore }) {
  return async function assembleArchive(
    tx: Transaction,
    heading: ArchiveHeading,
    requester: string,
  ): Promise<void> {
    const { tenantId, id: requestId } = heading.request;
    await deps.store.store(tx, { tenantId, requestId, requester }, (put) =>
      writeArchive(
        heading,
        {
          categories: (participant) => deps.parts.categories(tx, requestId, participant),
          pages: (participant, category) =>
            deps.parts.pages(tx, { tenantId, requestId, participant, category }),
        },
        put,
      ),
    );
    await deps.parts.discard(tx, requestId);
  };
}
