import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { AppError, invalidArgument, type FieldViolation } from './errors';

// An account holder's profile and its rules, in one place for every service that takes a profile or a
// correction to one: identity (sign-up, PATCH, rectification), the gateway (the account API's request
// schema) and privacy (rectification requests checked at intake).

/** An account holder's profile as stored: every field the seeds say is collected, validated. */
export interface Profile {
  fullName: string;
  email: string;
  phone: string | null;
  companyName: string | null;
  companyLocation: string | null;
  companyUrl: string | null;
  address: Address | null;
  timeZone: string | null;
  outgoingCallerId: string | null;
  dateOfBirth: string | null;
  ageAttested: boolean;
}

export interface Address {
  street: string;
  city: string;
  state: string;
  postalCode: string;
  country: string;
}

/** A sign-up or a patch as it arrives: absent fields are undefined; '' clears an optional field. */
export interface ProfileInput {
  fullName?: string;
  email?: string;
  phone?: string;
  companyName?: string;
  companyLocation?: string;
  companyUrl?: string;
  address?: Address;
  clearAddress?: boolean;
  timeZone?: string;
  outgoingCallerId?: string;
  dateOfBirth?: string;
  ageAttested?: boolean;
}

const email =
  /^[^\s@"(),:;<>[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;
const countryCodes = new Set(
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'.split(
    ' ',
  ),
);

export function isTimeZone(value: string): boolean {
  if (value === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return value.includes('/');
  } catch {
    return false;
  }
}

/** Years between a YYYY-MM-DD birth date and `today`, counted the way people count birthdays. */
export function ageOn(dateOfBirth: string, today: Date): number {
  const [year, month, day] = dateOfBirth.split('-').map(Number) as [number, number, number];
  let age = today.getUTCFullYear() - year;
  const beforeBirthday =
    today.getUTCMonth() + 1 < month || (today.getUTCMonth() + 1 === month && today.getUTCDate() < day);
  if (beforeBirthday) age -= 1;
  return age;
}

function validDate(value: string): boolean {
  const match = isoDate.exec(value);
  if (!match) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function text(value: string, field: string, max: number, violations: FieldViolation[]): string | null {
  const trimmed = value.trim();
  if (trimmed.length > max) violations.push({ field, description: `at most ${max} characters` });
  return trimmed === '' ? null : trimmed;
}

/** The number a phone error suggests as an example; it must itself be valid (a unit test checks). */
export const PHONE_EXAMPLE = '+447911123456';

function e164(
  value: string,
  field: string,
  country: string | undefined,
  violations: FieldViolation[],
): string | null {
  if (value.trim() === '') return null;
  const parsed = parsePhoneNumberFromString(value, (country as CountryCode | undefined) ?? undefined);
  if (!parsed || !parsed.isValid()) {
    violations.push({ field, description: `a valid phone number in E.164 form, e.g. ${PHONE_EXAMPLE}` });
    return null;
  }
  return parsed.number;
}

export class UnderMinimumAge extends Error {}

/** A profile with nothing in it yet: what a sign-up starts from. */
const blankProfile: Profile = {
  fullName: '',
  email: '',
  phone: null,
  companyName: null,
  companyLocation: null,
  companyUrl: null,
  address: null,
  timeZone: null,
  outgoingCallerId: null,
  dateOfBirth: null,
  ageAttested: false,
};

/**
 * Applies `input` to `current` (a sign-up when `current` is undefined) and checks every field, naming
 * each one that is wrong. Sign-up needs a full name, an email, and a date of birth or an age attestation;
 * a date of birth that makes the holder younger than the tenant's minimum age is refused.
 */
export function applyProfile(
  current: Profile | undefined,
  input: ProfileInput,
  rules: { minimumAge: number; today: Date },
): { profile: Profile; changed: (keyof Profile)[] } {
  const violations: FieldViolation[] = [];
  const next: Profile = current
    ? { ...current, address: current.address ? { ...current.address } : null }
    : { ...blankProfile };

  if (input.fullName !== undefined || !current) {
    const name = (input.fullName ?? '').trim();
    if (name.length < 1 || name.length > 200)
      violations.push({ field: 'fullName', description: '1-200 characters' });
    next.fullName = name;
  }
  if (input.email !== undefined || !current) {
    const value = (input.email ?? '').trim();
    if (value.length > 254 || !email.test(value))
      violations.push({ field: 'email', description: 'a valid email address' });
    next.email = value;
  }
  if (input.address !== undefined && !input.clearAddress) {
    const address = input.address;
    const country = address.country.trim().toUpperCase();
    if (!countryCodes.has(country)) {
      violations.push({
        field: 'address.country',
        description: 'an ISO 3166-1 alpha-2 code such as GB or US',
      });
    }
    for (const [key, max, required] of [
      ['street', 200, true],
      ['city', 100, true],
      ['state', 100, false],
      ['postalCode', 20, false],
    ] as const) {
      const value = address[key].trim();
      if (required && value === '') violations.push({ field: `address.${key}`, description: 'required' });
      if (value.length > max)
        violations.push({ field: `address.${key}`, description: `at most ${max} characters` });
    }
    next.address = {
      street: address.street.trim(),
      city: address.city.trim(),
      state: address.state.trim(),
      postalCode: address.postalCode.trim(),
      country,
    };
  } else if (input.clearAddress) {
    next.address = null;
  }
  const country = next.address?.country;
  if (input.phone !== undefined) next.phone = e164(input.phone, 'phone', country, violations);
  if (input.outgoingCallerId !== undefined) {
    next.outgoingCallerId = e164(input.outgoingCallerId, 'outgoingCallerId', country, violations);
  }
  if (input.companyName !== undefined)
    next.companyName = text(input.companyName, 'companyName', 200, violations);
  if (input.companyLocation !== undefined) {
    next.companyLocation = text(input.companyLocation, 'companyLocation', 200, violations);
  }
  if (input.companyUrl !== undefined) {
    const value = input.companyUrl.trim();
    if (value === '') next.companyUrl = null;
    else {
      let ok = false;
      try {
        const url = new URL(value);
        ok = (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.includes('.');
      } catch {
        ok = false;
      }
      if (!ok || value.length > 500)
        violations.push({ field: 'companyUrl', description: 'an http or https URL' });
      next.companyUrl = value;
    }
  }
  if (input.timeZone !== undefined) {
    const value = input.timeZone.trim();
    if (value !== '' && !isTimeZone(value)) {
      violations.push({ field: 'timeZone', description: 'an IANA time zone such as Europe/London' });
    }
    next.timeZone = value === '' ? null : value;
  }
  let underAge = false;
  if (input.dateOfBirth !== undefined) {
    const value = input.dateOfBirth.trim();
    if (!validDate(value) || new Date(`${value}T00:00:00Z`) > rules.today) {
      violations.push({ field: 'dateOfBirth', description: 'a past date as YYYY-MM-DD' });
    } else if (ageOn(value, rules.today) < rules.minimumAge) {
      underAge = true;
    }
    next.dateOfBirth = value;
  }
  if (input.ageAttested !== undefined) next.ageAttested = input.ageAttested;
  if (!current && next.dateOfBirth === null && !next.ageAttested) {
    violations.push({
      field: 'ageAttested',
      description: `give dateOfBirth, or attest the holder is at least ${rules.minimumAge} (ageAttested: true)`,
    });
  }
  if (violations.length > 0) {
    throw invalidArgument(
      'ACCOUNT_INVALID',
      violations.map((v) => `${v.field}: ${v.description}`).join('; '),
      violations,
    );
  }
  if (underAge) {
    throw invalidArgument(
      'UNDER_MINIMUM_AGE',
      `account holders must be at least ${rules.minimumAge} years old`,
      [{ field: 'dateOfBirth', description: `the holder must be at least ${rules.minimumAge}` }],
    );
  }
  const changed = (Object.keys(next) as (keyof Profile)[]).filter(
    (key) => !current || JSON.stringify(current[key]) !== JSON.stringify(next[key]),
  );
  return { profile: next, changed };
}

/**
 * The profile's JSON schemas: each field a change may carry with its type and length limit (the rules are
 * in `applyProfile`), and a rectification request's `changes` (at least one of those fields, nothing
 * else). The account API builds its request schema from these (adding `null` to clear, and its
 * documentation); privacy and identity check rectifications with them.
 *
 * A function, so that each caller gets schemas made after it set zod up: the gateway's OpenAPI extension
 * adds `.openapi()` only to schemas created after it ran.
 */
export function profileSchemas() {
  const address = z
    .object({
      street: z.string().max(200),
      city: z.string().max(100),
      state: z.string().max(100).default(''),
      postalCode: z.string().max(20).default(''),
      country: z.string().max(100),
    })
    .strict();
  const fields = {
    fullName: z.string().max(200),
    email: z.string().max(254),
    phone: z.string().max(32),
    companyName: z.string().max(200),
    companyLocation: z.string().max(200),
    companyUrl: z.string().max(500),
    address,
    timeZone: z.string().max(64),
    outgoingCallerId: z.string().max(32),
    dateOfBirth: z.string().max(10),
  };
  const rectification = z
    .object({
      fullName: fields.fullName.optional(),
      email: fields.email.optional(),
      phone: fields.phone.optional(),
      companyName: fields.companyName.optional(),
      companyLocation: fields.companyLocation.optional(),
      companyUrl: fields.companyUrl.optional(),
      address: fields.address.optional(),
      timeZone: fields.timeZone.optional(),
      outgoingCallerId: fields.outgoingCallerId.optional(),
      dateOfBirth: fields.dateOfBirth.optional(),
    })
    .strict();
  return { address, fields, rectification };
}

const schemas = profileSchemas();

/** The fields a rectification request may correct. */
export const rectifiableFields = Object.keys(schemas.fields);

/** A complete profile to apply corrections to, so only the corrected fields' own rules are checked. */
const placeholder: Profile = {
  ...blankProfile,
  fullName: 'placeholder',
  email: 'placeholder@example.com',
  ageAttested: true,
};

/**
 * Checks a rectification's corrected values as the account API checks a profile change: the JSON types and
 * lengths, then every rule of `applyProfile`. Violations name the field under `prefix` (`changes.email`)
 * and never its value; on success the changes as a profile patch.
 */
export function checkRectification(
  changes: unknown,
  today: Date,
  prefix = 'changes',
): { changes: ProfileInput; violations: FieldViolation[] } {
  const named = (path: PropertyKey[]) => [prefix, ...path.map(String)].join('.');
  const parsed = schemas.rectification.safeParse(changes);
  if (!parsed.success) {
    return {
      changes: {},
      violations: parsed.error.issues.map((issue) =>
        issue.code === 'unrecognized_keys'
          ? {
              field: named(issue.path),
              description: `cannot correct: ${issue.keys.join(', ')}; only ${rectifiableFields.join(', ')}`,
            }
          : { field: named(issue.path), description: issue.message },
      ),
    };
  }
  const input = parsed.data as ProfileInput;
  if (Object.keys(input).length === 0) {
    return {
      changes: {},
      violations: [{ field: prefix, description: `at least one of ${rectifiableFields.join(', ')}` }],
    };
  }
  try {
    applyProfile(placeholder, input, { minimumAge: 0, today });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return {
      changes: {},
      violations: error.fieldViolations.map((violation) => ({
        field: `${prefix}.${violation.field}`,
        description: violation.description,
      })),
    };
  }
  return { changes: input, violations: [] };
}
