import { and, eq } from 'drizzle-orm';
import { notFound, withTenant, type Database, type Transaction } from '@parley/kit';
import { archiveChunks, archives } from './schema';
import type { ArchiveManifest } from '../domain/archive';
import type { Sealer } from '../domain/sealing';

/** Bytes of archive sealed and stored together: one archive_chunks row. */
export const STORED_CHUNK_BYTES = 1024 * 1024;

/** What binds a stored chunk to its archive and place: a chunk moved, swapped or replayed does not open. */
const chunkData = (tenantId: string, requestId: string, seq: number) =>
  `${tenantId}:${requestId}:archive:${seq}`;
/** An archive sealed whole (before archives were stored in chunks). */
const wholeData = (tenantId: string, requestId: string) => `${tenantId}:${requestId}:archive`;

export interface StoredArchive {
  tenantId: string;
  requestId: string;
  /** Its size once opened. */
  bytes: number;
  /** Its bytes, opened, in order, one stored chunk at a time. */
  read(): AsyncIterable<Buffer>;
}

/**
 * Sealed export archives, stored in chunks as they are written: the archive never needs to be whole in
 * memory, to store it or to serve it.
 */
export class ArchiveStore {
  constructor(
    private readonly db: Database,
    private readonly sealer: Sealer,
  ) {}

  /**
   * Stores the archive `write` writes for a request, in `tx`: chunks as they fill, then how many there
   * are and the manifest. Nothing of it is visible before `tx` commits.
   */
  async store(
    tx: Transaction,
    archive: { tenantId: string; requestId: string; requester: string },
    write: (put: (bytes: Uint8Array) => Promise<void>) => Promise<ArchiveManifest>,
  ): Promise<void> {
    const { tenantId, requestId } = archive;
    // Only the completing transaction stores an archive; one found before it is stale (an earlier attempt
    // made by hand, a restore) and never the answer to this request.
    await tx.delete(archives).where(eq(archives.requestId, requestId));
    await tx.insert(archives).values({ ...archive, manifest: {}, sealed: null });
    let seq = 0;
    let bytes = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const plain = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await tx.insert(archiveChunks).values({
        tenantId,
        requestId,
        seq,
        sealed: this.sealer.seal(plain, chunkData(tenantId, requestId, seq)),
      });
      seq++;
    };
    const manifest = await write(async (piece) => {
      pending.push(piece);
      pendingBytes += piece.length;
      bytes += piece.length;
      if (pendingBytes >= STORED_CHUNK_BYTES) await flush();
    });
    if (pendingBytes > 0 || seq === 0) await flush();
    await tx.update(archives).set({ manifest, chunks: seq, bytes }).where(eq(archives.requestId, requestId));
  }

  /** The request's archive, or undefined when there is none. */
  async find(tx: Transaction, requestId: string): Promise<StoredArchive | undefined> {
    const [row] = await tx
      .select({
        tenantId: archives.tenantId,
        requestId: archives.requestId,
        sealed: archives.sealed,
        chunks: archives.chunks,
        bytes: archives.bytes,
      })
      .from(archives)
      .where(eq(archives.requestId, requestId));
    if (!row) return undefined;
    const { tenantId, sealed, chunks } = row;
    if (sealed) {
      const whole = this.sealer.open(sealed, wholeData(tenantId, requestId));
      return {
        tenantId,
        requestId,
        bytes: whole.length,

        read: async function* () {
          yield whole;
        },
      };
    }
    return { tenantId, requestId, bytes: row.bytes, read: () => this.chunks(tenantId, requestId, chunks) };
  }

  /**
   * The stored chunks, opened, each read in a transaction of its own: a download as long as the reader
   * takes holds no transaction open. A chunk missing (the archive destroyed meanwhile) ends it in error.
   */
  private async *chunks(tenantId: string, requestId: string, count: number): AsyncIterable<Buffer> {
    for (let seq = 0; seq < count; seq++) {
      const [chunk] = await withTenant(this.db, tenantId, (tx) =>
        tx
          .select({ sealed: archiveChunks.sealed })
          .from(archiveChunks)
          .where(and(eq(archiveChunks.requestId, requestId), eq(archiveChunks.seq, seq))),
      );
      // Destroyed meanwhile (an erasure, its retention): the download ends as the link would now answer.
      if (!chunk) throw notFound('ARCHIVE_LINK_INVALID', 'this download link does not exist or has expired');
      yield this.sealer.open(chunk.sealed, chunkData(tenantId, requestId, seq));
    }
  }
}
