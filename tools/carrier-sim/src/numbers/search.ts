import { z } from 'zod';
import { whole } from '../config';
import { countries, type Capability } from './countries';
import type { InventoryNumber } from './inventory';

const capability = z.enum(['sms', 'mms', 'voice']);

/** The query string of `GET /v1/available-numbers`, validated; every problem names its parameter. */
export const searchQuerySchema = z.object({
  country: z
    .string({ error: 'is required' })
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
    .transform((value) => value.toUpperCase()),
  areaCode: z
    .string()
    .regex(/^\d{1,5}$/, 'must be 1 to 5 digits')
    .optional(),
  type: z.enum(['local', 'mobile', 'toll_free'], { error: 'must be local, mobile or toll_free' }).optional(),
  capabilities: z
    .string()
    .optional()
    .transform((value, context) => {
      const listed = (value ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      const parsed: Capability[] = [];
      for (const item of listed) {
        const result = capability.safeParse(item);
        if (!result.success) {
          context.addIssue({ code: 'custom', message: `"${item}" is not one of sms, mms, voice` });
          return z.NEVER;
        }
        if (!parsed.includes(result.data)) parsed.push(result.data);
      }
      return parsed;
    }),
  contains: z
    .string()
    .regex(/^[\d*]{1,15}$/, 'must be 1 to 15 digits or * (any one digit)')
    .optional(),
  limit: whole(1, 100).default(20),
});

export type SearchQuery = z.infer<typeof searchQuerySchema>;

/** True when the simulator sells numbers in this country. */
export function servesCountry(country: string): boolean {
  return countries.has(country);
}

/** `contains` as a regular expression over the national number: digits literally, `*` any one digit. */
export function containsPattern(contains: string): RegExp {
  return new RegExp(contains.replace(/\*/g, '\\d'));
}

/**
 * A searched area code without the trunk prefix a caller may type (`020` and `20` are London, `0151` and
 * `151` a German mobile range, `1415` and `415` San Francisco).
 */
export function normaliseAreaCode(country: string, areaCode: string): string {
  const plan = countries.get(country);
  if (!plan || !areaCode.startsWith(plan.trunkPrefix)) return areaCode;
  // NANP area codes are three digits and never start with 1: only a fourth digit can be the trunk prefix.
  const withTrunk = plan.callingCode === '1' ? areaCode.length === 4 : areaCode.length > 1;
  return withTrunk ? areaCode.slice(plan.trunkPrefix.length) : areaCode;
}

/** Builds the predicate a number must satisfy to match the query. */
export function matcher(query: SearchQuery): (number: InventoryNumber) => boolean {
  const areaCode = query.areaCode ? normaliseAreaCode(query.country, query.areaCode) : undefined;
  const pattern = query.contains ? containsPattern(query.contains) : undefined;
  return (number) =>
    number.country === query.country &&
    (!areaCode || number.areaCode === areaCode) &&
    (!query.type || number.type === query.type) &&
    query.capabilities.every((wanted) => number.capabilities.includes(wanted)) &&
    (!pattern || pattern.test(number.nationalNumber));
}
