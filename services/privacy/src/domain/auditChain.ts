/**
 * The privacy audit log as a hash chain: each entry's hash covers its content and the previous entry's
 * hash, so editing, deleting or reordering any stored entry breaks verification at (or right after) it.
 * Hashes are over canonical JSON, so an entry hashes the same before and after a round trip through
 * PostgreSQL jsonb (key order, Dates as ISO strings, undefined dropped).
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '@parley/kit';

export interface AuditEntryInput {
  tenantId: string;
  at: Date;
  actor: string;
  action: string;
  requestId?: string;
  details: Record<string, unknown>;
}

export interface AuditEntry extends AuditEntryInput {
  /** A bigint, as a decimal string. */
  id: string;
  prevHash: string;
  hash: string;
}

export type ChainVerification =
  | { valid: true; entries: number }
  | { valid: false; entries: number; firstBrokenEntry: string; reason: 'hash_mismatch' | 'chain_broken' };

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

function unsupported(what: string): never {
  throw invalidArgument('CANONICAL_JSON_UNSUPPORTED', `cannot hash ${what} as canonical JSON`);
}

function canonical(value: unknown, ancestors: object[]): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return undefined;
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : unsupported(String(value));
    case 'object':
      break;
    default:
      return unsupported(`a ${typeof value}`);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) unsupported('an invalid Date');
    return JSON.stringify(value.toISOString());
  }
  if (ancestors.includes(value)) unsupported('a circular structure');
  const inner = [...ancestors, value];
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonical(item, inner) ?? 'null').join(',')}]`;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return canonical(toJSON.call(value), inner);
  const members = Object.keys(value)
    .sort()
    .flatMap((key) => {
      const member = canonical((value as Record<string, unknown>)[key], inner);
      return member === undefined ? [] : [`${JSON.stringify(key)}:${member}`];
    });
  return `{${members.join(',')}}`;
}

/**
 * Canonical JSON: object keys sorted recursively (by UTF-16 code unit), no whitespace, Dates as ISO
 * strings, undefined members dropped (and undefined array items written as null, as JSON does). Refuses
 * what JSON cannot represent faithfully: non-finite numbers, bigints, functions, symbols, cycles.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, []) ?? unsupported('undefined');
}

/** sha256 hex over prevHash + '\n' + canonicalJson({tenantId, at, actor, action, requestId ?? null, details}). */
export function entryHash(prevHash: string, entry: AuditEntryInput): string {
  const { tenantId, at, actor, action, requestId, details } = entry;
  const content = canonicalJson({ tenantId, at, actor, action, requestId: requestId ?? null, details });
  return createHash('sha256').update(`${prevHash}\n${content}`, 'utf8').digest('hex');
}

function idOf(entry: AuditEntry): bigint {
  if (!/^\d+$/.test(entry.id)) {
    throw invalidArgument('AUDIT_ENTRY_ID_INVALID', `audit entry id ${entry.id} is not an unsigned integer`);
  }
  return BigInt(entry.id);
}

/** Verifies a chain one entry at a time, in ascending id order, holding only the previous hash. */
export class ChainVerifier {
  #entries = 0;
  #lastId: bigint | undefined;
  #previousHash = GENESIS_HASH;
  #broken: { firstBrokenEntry: string; reason: 'hash_mismatch' | 'chain_broken' } | undefined;

  add(entry: AuditEntry): void {
    const id = idOf(entry);
    if (this.#lastId !== undefined && id <= this.#lastId) {
      throw invalidArgument(
        'AUDIT_ENTRIES_OUT_OF_ORDER',
        `audit entry ${entry.id} does not follow entry ${this.#lastId}`,
      );
    }
    this.#lastId = id;
    this.#entries += 1;
    if (this.#broken) return;
    if (entry.prevHash !== this.#previousHash) {
      this.#broken = { firstBrokenEntry: entry.id, reason: 'chain_broken' };
    } else if (entry.hash !== entryHash(entry.prevHash, entry)) {
      this.#broken = { firstBrokenEntry: entry.id, reason: 'hash_mismatch' };
    }
    this.#previousHash = entry.hash;
  }

  result(): ChainVerification {
    return this.#broken
      ? { valid: false, entries: this.#entries, ...this.#broken }
      : { valid: true, entries: this.#entries };
  }
}

/**
 * Walks the entries in id order. chain_broken: an entry's prevHash is not the previous entry's hash (or
 * GENESIS_HASH for the first), as when an entry was deleted or reordered; hash_mismatch: its stored hash
 * is not the hash of its content, as when it was edited. Reports the first broken entry.
 */
export function verifyChain(entries: AuditEntry[]): ChainVerification {
  const ordered = entries
    .map((entry) => ({ entry, id: idOf(entry) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const verifier = new ChainVerifier();
  for (const { entry } of ordered) verifier.add(entry);
  return verifier.result();
}
