import type { Request } from 'express';
import type { Caller, Scope } from '@parley/kit';
import { TwilioError } from './errors';

/** Form fields or query parameters as express reads them (a repeated name gives an array). */
export type Fields = Record<string, string | string[] | undefined>;

export interface TwilioInput {
  caller: Caller;
  /** The tenant's Account SID (also the one in the path). */
  accountSid: string;
  params: Record<string, string>;
  query: Fields;
  form: Fields;
  request: Request;
}

/** One endpoint of the Twilio-compatible API. */
export interface TwilioOperation {
  method: 'get' | 'post' | 'delete';
  /** Below `/2010-04-01/Accounts/:AccountSid`, express syntax. */
  path: string;
  scope: Scope;
  /** Creates something: honours I-Twilio-Idempotency-Token / Idempotency-Key. */
  creates?: boolean;
  run(input: TwilioInput): Promise<{ status: number; body?: unknown }>;
}

/** The first value of a field, if it was sent. */
export function one(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Every value of a repeatable field (MediaUrl). */
export function many(fields: Fields, name: string): string[] {
  const value = fields[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Twilio's booleans: `true`/`false` in any case. */
export function flag(fields: Fields, name: string): boolean | undefined {
  const value = one(fields, name)?.toLowerCase();
  return value === undefined ? undefined : value === 'true';
}

/** Fields Twilio offers that this API does not: refused by name, never silently ignored. */
export function refuseUnoffered(fields: Fields, names: readonly string[]): void {
  const sent = names.filter((name) => fields[name] !== undefined);
  if (sent.length > 0) {
    throw new TwilioError(
      400,
      20001,
      `Parameter not offered by Parley's Twilio-compatible API: ${sent.join(', ')}`,
    );
  }
}

/** PageSize (Twilio: 1-1000, default 50) within what Parley pages (1-100). */
export function pageSizeOf(query: Fields): number {
  const given = one(query, 'PageSize');
  if (given === undefined) return 50;
  const size = Number(given);
  if (!Number.isInteger(size) || size < 1)
    throw new TwilioError(400, 20001, 'PageSize must be a whole number from 1');
  return Math.min(size, 100);
}

/** The page number a `next_page_uri` carried (0 for the first page). */
export function pageNumberOf(query: Fields): number {
  const page = Number(one(query, 'Page') ?? 0);
  return Number.isInteger(page) && page >= 0 ? page : 0;
}

/**
 * A date filter the Twilio way (`DateSent`, `StartTime`, `EndTime`): `Name` the day (`2026-12-01`) from then,
 * `Name<` on or before, `Name>` on or after; each a day or an ISO 8601 instant. Answers the range as [after, before).
 */
export function dateRange(query: Fields, name: string): { after?: Date; before?: Date } {
  const parse = (key: string) => {
    const value = one(query, key);
    if (value === undefined) return undefined;
    const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const at = new Date(day ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(at.getTime()))
      throw new TwilioError(400, 20001, `${key} must be a date (YYYY-MM-DD) or an ISO 8601 date-time`);
    return { at, day };
  };
  const nextDay = (at: Date) => new Date(at.getTime() + 24 * 60 * 60 * 1000);
  const on = parse(name);
  if (on) return { after: on.at, before: nextDay(on.at) };
  const before = parse(`${name}<`);
  const after = parse(`${name}>`);
  return {
    ...(after ? { after: after.at } : {}),
    ...(before ? { before: before.day ? nextDay(before.at) : before.at } : {}),
  };
}

/** The filters of a list request that were sent, to repeat them in its page URIs. */
export function filtersOf(query: Fields, names: readonly string[]): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const name of names) {
    const value = one(query, name);
    if (value !== undefined) filters[name] = value;
  }
  return filters;
}
