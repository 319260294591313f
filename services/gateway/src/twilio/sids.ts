/**
 * Twilio's resource SIDs over Parley's UUIDs: the same 128 bits, as a two-letter prefix and 32 hex digits
 * (`SM` messages, `PN` numbers, `SK` API keys, `CA` call records). No table maps them: one is computed
 * from the other.
 */
export type SidPrefix = 'SM' | 'PN' | 'SK' | 'CA';

export function sidOf(prefix: SidPrefix, uuid: string): string {
  return `${prefix}${uuid.replace(/-/g, '').toLowerCase()}`;
}

/** The UUID a SID stands for, or undefined when it is not a well-formed SID of that kind. */
export function uuidOf(prefix: SidPrefix, sid: string): string | undefined {
  const match = new RegExp(`^${prefix}([0-9a-fA-F]{32})$`).exec(sid);
  if (!match) return undefined;
  const hex = match[1]!.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
