import { twilioSid, type TwilioSidPrefix } from '@parley/kit';

/** Twilio's SIDs of Parley's UUIDs (kit twilioSid: `SM` messages, `PN` numbers, `SK` API keys, `CA` calls). */
export type SidPrefix = TwilioSidPrefix;

export const sidOf = twilioSid;

/** The UUID a SID stands for, or undefined when it is not a well-formed SID of that kind. */
export function uuidOf(prefix: SidPrefix, sid: string): string | undefined {
  const match = new RegExp(`^${prefix}([0-9a-fA-F]{32})$`).exec(sid);
  if (!match) return undefined;
  const hex = match[1]!.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
