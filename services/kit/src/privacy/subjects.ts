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
 * The keys subject identifiers are hashed with (SUBJECT_HASH_KEY, then SUBJECT_HASH_KEYS_PREVIOUS): a
 * secret of its own, never the internal-token key, so rotating token keys cannot orphan a tombstone. New
 * hashes are written under `current`; stored ones are matched under every key, so rotation loses nothing
 * (see PRIVACY.md, "Rotating the subject hash key"). A plain string is one key with no previous ones.
 */
export type SubjectHashKeys = string | { current: string; previous: readonly string[] };

function keysOf(keys: SubjectHashKeys): string[] {
  return typeof keys === 'string' ? [keys] : [keys.current, ...keys.previous];
}

function hashUnder(key: string, tenantId: string, pairs: [string, string][]): string[] {
  return pairs.map(([kind, value]) =>
    createHmac('sha256', `parley-subject:${key}`).update(`${tenantId}\n${kind}\n${value}`).digest('hex'),
  );
}

/**
 * Keyed hashes of a subject's identifiers, under the current key: HMAC-SHA256 over the tenant, the kind
 * and the value. Every participant computes the same hash, none can reverse it. Use these to write.
 */
export function identifierHashes(
  keys: SubjectHashKeys,
  tenantId: string,
  subject: SubjectIdentifiers,
): string[] {
  return hashUnder(keysOf(keys)[0]!, tenantId, identifierPairs(subject));
}

/**
 * The subject's hashes under every key, current first: what a stored hash may be. Use these to match
 * (tombstones, restrictions, consents, legal holds), never to write.
 */
export function matchingHashes(
  keys: SubjectHashKeys,
  tenantId: string,
  subject: SubjectIdentifiers,
): string[] {
  const pairs = identifierPairs(subject);
  return [...new Set(keysOf(keys).flatMap((key) => hashUnder(key, tenantId, pairs)))];
}

/**
 * Keyed hashes of one identifier, of a kind the subject identifiers name (`phone`, `account`, ...) or of one
 * they do not carry (an IP address: `ip`), made as `identifierHashes` makes them: under every key, current
 * first. Store the first; match against them all. For a record kept after its subject was erased in place
 * of the identifier itself, so that a later lawful request presenting the value can still find it.
 */
export function valueHashes(keys: SubjectHashKeys, tenantId: string, kind: string, value: string): string[] {
  return [...new Set(keysOf(keys).flatMap((key) => hashUnder(key, tenantId, [[kind, value.trim()]])))];
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

/**
 * Restricts (records `hashes`, the current key's) or lifts a restriction (deletes every hash in `hashes`,
 * so pass the matching hashes under every key: a restriction recorded before a rotation is lifted too).
 */
export async function setRestricted(
  tx: Transaction,
  tenantId: string,
  hashes: string[],
  restricted: boolean,
): Promise<void> {
  if (!restricted) {
    if (hashes.length === 0) return;
    await tx.execute(
      sql`delete from kit_privacy_restrictions where tenant_id = ${tenantId} and identifier_hash = any(${textArray(hashes)})`,
    );
    return;
  }
  for (const hash of hashes) {
    await tx.execute(
      sql`insert into kit_privacy_restrictions (tenant_id, identifier_hash) values (${tenantId}, ${hash}) on conflict do nothing`,
    );
  }
}

/**
 * Records that the subject's data must no longer be used for `purposes` (an objection, a consent
 * withdrawal, an opt-out of sale/share), under `hashes` (the current key's). Recording it again changes
 * nothing.
 */
export async function recordObjection(
  tx: Transaction,
  tenantId: string,
  hashes: string[],
  purposes: string[],
  requestId: string,
): Promise<void> {
  for (const hash of hashes) {
    for (const purpose of purposes) {
      await tx.execute(
        sql`insert into kit_privacy_objections (tenant_id, identifier_hash, purpose, request_id)
            values (${tenantId}, ${hash}, ${purpose}, ${requestId}) on conflict do nothing`,
      );
    }
  }
}

/**
 * True when the subject objected to (or withdrew consent for, or opted out of) `purpose`: check it before
 * using their data for that purpose (a marketing send, a sale or share). Match with every key's hashes.
 */
export async function isObjectedTo(
  tx: Transaction,
  tenantId: string,
  hashes: string[],
  purpose: string,
): Promise<boolean> {
  if (hashes.length === 0) return false;
  const result = await tx.execute<{ found: boolean }>(
    sql`select exists (select 1 from kit_privacy_objections where tenant_id = ${tenantId} and purpose = ${purpose} and identifier_hash = any(${textArray(hashes)})) as found`,
  );
  return result.rows[0]?.found === true;
}
