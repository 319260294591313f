import type { RpcContext } from '@parley/kit';
import type { privacyV1 } from '@parley/proto';
import type { makeOpenArchive } from '../archives/archiveAccess';

/** The most bytes of archive in one message: far below gRPC's 4 MiB default limit. */
export const DOWNLOAD_PIECE_BYTES = 256 * 1024;

/**
 * DownloadArchive: the archive behind a link, streamed in pieces as its stored chunks are read, the first
 * naming and sizing it; a refusal (no such link, not the requester) comes before any piece.
 */
export function makeDownloadArchive(deps: { openArchive: ReturnType<typeof makeOpenArchive> }) {
  return async (
    { request, caller }: RpcContext<privacyV1.DownloadArchiveRequest>,
    send: (item: privacyV1.DownloadArchiveResponse) => Promise<void>,
  ): Promise<void> => {
    const archive = await deps.openArchive(caller, request.token);
    let first = true;
    const piece = async (chunk: Buffer) => {
      await send(
        first
          ? { fileName: archive.fileName, size: String(archive.bytes), chunk }
          : { fileName: '', size: '0', chunk },
      );
      first = false;
    };
    for await (const stored of archive.read()) {
      for (let at = 0; at < stored.length; at += DOWNLOAD_PIECE_BYTES)
        await piece(stored.subarray(at, at + DOWNLOAD_PIECE_BYTES));
    }
    if (first) await piece(Buffer.alloc(0));
  };
}
