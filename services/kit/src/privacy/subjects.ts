import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { participantV1 } from '@parley/proto';
import { textArray, type Transaction } from '../db/database';

export type SubjectIdentifiers = participantV1.SubjectIdentifiers;

/** Normalised (kind, value) pairs of a subject: emails lower-cased, everything trimmed, no empties. */
export function identifierPairs(subject: SubjectIdentifiers): [string, string][] {
  const pairs: [string, string][] = [
    ...subject.accountIds.map((value) => ['account', value.trim()] as [string, string]),
    ...subject.emails.map((value) => ['email', value.trim().toLowerCase()] as [string, string]),
    ...subject.phones.map((value) => ['phone', value.trim()] as [string, string]),
    ...subject.userIds.map((value) => ['user', value.trim()] as [string, string]),
  ];
  return pairs.filter(([, value]) => value !== '');
}

/**
 * Salted hashes of a subject's identifiers: HMAC-SHA256 keyed with the platform's shared secret, over the
 * tenant, the kind and the value. Every participant computes the same hash, none can reverse it.
 */
export function identifierHashes(secret: string, tenantId: string, subject: SubjectIdentifiers): string[] {
  return identifierPairs(subject).map(([kind, value]) =>
    createHmac('sha256', `parley-subject:${secret}`).update(`${tenantId}\n${kind}\n${value}`).digest('hex'),
  );
}

/** Remembers an erased subject (only hashes) so later events about them can be recognised and dropped. */
export async function recordTombstone(tx: Transaction, tenantId: string, hashes: string[]): Promise<void> {
  for (const hash of hashes) {
    await tx.execute(
      sql`insert into kit_privacy_tombstones (tenant_id, identifier_hash) values (${tenantId}, ${hash}) on conflict do nothing`,
    );
  }
}

async function anyOf(
  tx: Transaction,
  table: 'kit_privacy_tombstones' | 'kit_privacy_restrictions',
  tenantId: string,
  hashes: string[],
) {
  if (hashes.length === 0) return false;
  const result = await tx.execute<{ found: boolean }>(
    sql`select exists (select 1 from ${sql.identifier(table)} where tenant_id = ${tenantId} and identifier_hash = any(${textArray(hashes)})) as found`,
  );
  return result.rows[0]?.found === true;
}

/** True when any identifier belongs to an erased subject: a late event about them must not recreate data. */
export function isErased(tx: Transaction, tenantId: string, hashes: string[]): Promise<boolean> {
  return anyOf(tx, 'kit_privacy_tombstones', tenantId, hashes);
}

/** True when the subject's processing is restricted: keep storing, use for nothing else. */
export function isRestricted(tx: Transaction, tenantId: string, hashes: string[]): Promise<boolean> {
  return anyOf(tx, 'kit_privacy_restrictions', tenantId, hashes);
}

export async function setRestricted(
  tx: Transaction,
  tenantId: string,
  hashes: string[],
  restricted: boolean,
): Promise<void> {
  for (const hash of hashes) {
    await tx.execute(
      restricted
        ? sql`insert into kit_privacy_restrictions (tenant_id, identifier_hash) values (${tenantId}, ${hash}) on conflict do nothing`
        : sql`delete from kit_privacy_restrictions where tenant_id = ${tenantId} and identifier_hash = ${hash}`,
    );
  }
}
