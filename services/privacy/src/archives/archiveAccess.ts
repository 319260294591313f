import { eq } from 'drizzle-orm';
import {
  grants,
  notFound,
  permissionDenied,
  failedPrecondition,
  withTenant,
  type Caller,
  type Database,
} from '@parley/kit';
import { archiveLinks, archives, type SubjectRequestRow } from '../db/schema';
import type { AuditLog } from '../db/audit';
import type { ArchiveStore } from '../db/archiveStore';
import { loadRequest } from '../db/requests';
import { openStates } from '../domain/requests';
import { hashToken, randomToken } from '../domain/sealing';

export interface ArchiveAccessDeps {
  db: Database;
  audit: AuditLog;
  store: ArchiveStore;
  linkTtlMs: number;
  now?: () => Date;
}

/** An archive opened for download: its name, size and bytes, read as they are sent. */
export interface ArchiveDownload {
  fileName: string;
  bytes: number;
  read(): AsyncIterable<Buffer>;
}

/**
 * Whether the caller may have the request's archive: the requester themselves (the same user or
 * client; for a request a tenant credential filed, the tenant's privacy office, so a rotated API key
 * does not lose the request), or the subject logged in.
 */
function mayHaveArchive(caller: Caller, row: SubjectRequestRow): boolean {
  if (caller.principal === row.requester) return true;
  if (caller.principal.startsWith('user:') && row.identifiers.userIds?.includes(caller.principal.slice(5)))
    return true;
  const filedByTenantCredential = /^(api-key|client):/.test(row.requester);
  return filedByTenantCredential && grants(caller.scopes, 'privacy:write');
}

const notTheRequester = () =>
  permissionDenied('NOT_THE_REQUESTER', 'only the verified requester may download the archive');

/** An expiring link to the archive, for the verified requester or the subject themselves only. */
export function makeCreateArchiveLink(deps: ArchiveAccessDeps) {
  return async (caller: Caller, id: string): Promise<{ token: string; expiresAt: Date }> =>
    withTenant(deps.db, caller.tenantId, async (tx) => {
      // The chain lock first, as every audited change takes it (see AuditLog.lockChain).
      await deps.audit.lockChain(tx, caller.tenantId);
      const row = await loadRequest(tx, id);
      const [archive] = await tx
        .select({ id: archives.requestId })
        .from(archives)
        .where(eq(archives.requestId, id));
      // Ready only with the request completed: the archive is stored in the transaction that completes it.
      if (!archive || openStates.includes(row.state))
        throw failedPrecondition('ARCHIVE_NOT_READY', `request ${id} has no archive (yet)`);
      if (!mayHaveArchive(caller, row)) throw notTheRequester();
      const token = randomToken();
      const expiresAt = new Date((deps.now?.() ?? new Date()).getTime() + deps.linkTtlMs);
      await tx
        .insert(archiveLinks)
        .values({ tokenHash: hashToken(token), tenantId: caller.tenantId, requestId: id, expiresAt });
      await deps.audit.append(tx, {
        tenantId: caller.tenantId,
        actor: caller.principal,
        action: 'archive.link_created',
        requestId: id,
        details: { expiresAt: expiresAt.toISOString() },
      });
      return { token, expiresAt };
    });
}

/**
 * The archive behind a link, for a caller who may have it: the link alone is not enough, so a link
 * that leaks (a forwarded mail, a proxy log) opens nothing. An archive destroyed by an erasure or its
 * retention has no links left. The download is audited before the first byte is read.
 */
export function makeOpenArchive(deps: ArchiveAccessDeps) {
  return async (caller: Caller, token: string): Promise<ArchiveDownload> => {
    const invalid = () =>
      notFound('ARCHIVE_LINK_INVALID', 'this download link does not exist or has expired');
    const [link] = await deps.db
      .select()
      .from(archiveLinks)
      .where(eq(archiveLinks.tokenHash, hashToken(token)));
    const now = deps.now?.() ?? new Date();
    if (!link || link.tenantId !== caller.tenantId || link.expiresAt.getTime() < now.getTime()) {
      throw invalid();
    }
    return withTenant(deps.db, link.tenantId, async (tx) => {
      const archive = await deps.store.find(tx, link.requestId);
      if (!archive) throw invalid();
      if (!mayHaveArchive(caller, await loadRequest(tx, link.requestId))) throw notTheRequester();
      await deps.audit.append(tx, {
        tenantId: link.tenantId,
        actor: caller.principal,
        action: 'archive.downloaded',
        requestId: link.requestId,
        details: {},
      });
      return {
        fileName: `parley-export-${link.requestId}.zip`,
        bytes: archive.bytes,
        read: () => archive.read(),
      };
    });
  };
}
