// Pure rules about numbers: validation of searches and configuration, quarantine, prices.
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { callbacksV1, type numberingV1 } from '@parley/proto';
import {
  currency as lookupCurrency,
  Money,
  multiplyDecimals,
  parseDecimal,
  roundHalfAwayFromZero,
  type Decimal,
  type FieldViolation,
} from '@parley/kit';
import type { Capability, NumberType, SupplierPrice, SupplierSearch } from './supplier';
import { countryUnknown, currencyNotSupported, invalidRequest, patternMalformed } from './errors';

export const NUMBER_TYPES: NumberType[] = ['local', 'mobile', 'toll_free'];
export const CAPABILITIES: Capability[] = ['sms', 'mms', 'voice'];
export const THROUGHPUT_CLASSES = ['long_code', 'toll_free', 'short_code'] as const;
export const NUMBER_STATUSES = ['active', 'quarantined'] as const;
/** Countries the platform offers numbers in (the supplier's inventory). */
export const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'KE'] as const;

export const MAX_RESERVATION = 10;
export const RESERVATION_SECONDS = 30 * 60;
/** The releasing tenant may take a quarantined number back for this long. */
export const RECLAIM_DAYS = 10;
const DAY_MS = 24 * 60 * 60 * 1000;

const e164Pattern = /^\+[1-9][0-9]{6,14}$/;

export function isE164(value: string): boolean {
  return e164Pattern.test(value);
}

/** A phone number as E.164 if it is a valid, dialable number; otherwise a violation on `field`. */
export function validE164(value: string, field: string, violations: FieldViolation[]): string | undefined {
  const parsed = e164Pattern.test(value) ? parsePhoneNumberFromString(value) : undefined;
  if (!parsed || !parsed.isValid()) {
    violations.push({ field, description: 'a valid phone number in E.164 form, e.g. +14155550123' });
    return undefined;
  }
  return parsed.number;
}

/** The ISO 3166-1 country a number belongs to, when its numbering plan says. */
export function countryOf(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}

/** Checks a search and turns it into the supplier's query. */
export function searchQuery(input: {
  country: string;
  areaCode: string;
  type: string;
  capabilities: string[];
  contains: string;
  limit: number;
}): SupplierSearch {
  const country = input.country.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country) || !(COUNTRIES as readonly string[]).includes(country)) {
    throw countryUnknown();
  }
  if (input.contains !== '' && !/^[0-9*]{1,15}$/.test(input.contains)) throw patternMalformed();
  const violations: FieldViolation[] = [];
  if (input.areaCode !== '' && !/^[0-9]{1,6}$/.test(input.areaCode)) {
    violations.push({ field: 'areaCode', description: '1-6 digits' });
  }
  if (input.type !== '' && !(NUMBER_TYPES as string[]).includes(input.type)) {
    violations.push({ field: 'type', description: `one of ${NUMBER_TYPES.join(', ')}` });
  }
  for (const capability of input.capabilities) {
    if (!(CAPABILITIES as string[]).includes(capability)) {
      violations.push({ field: 'capabilities', description: `each one of ${CAPABILITIES.join(', ')}` });
      break;
    }
  }
  const limit = input.limit === 0 ? 20 : input.limit;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    violations.push({ field: 'limit', description: 'an integer from 1 to 100' });
  }
  if (violations.length > 0) throw invalidRequest(violations);
  return {
    country,
    ...(input.areaCode ? { areaCode: input.areaCode } : {}),
    ...(input.type ? { type: input.type as NumberType } : {}),
    capabilities: [...new Set(input.capabilities)] as Capability[],
    ...(input.contains ? { contains: input.contains } : {}),
    limit,
  };
}

/**
 * Exchange rates from a supplier's currency into a tenant's billing currency: `rates.get('USD:EUR')` is
 * how many EUR one USD buys, an exact decimal. Same currency needs no rate.
 */
export type ExchangeRates = ReadonlyMap<string, Decimal>;

const ONE: Decimal = { coefficient: 1n, scale: 0 };

/**
 * The platform's default rates (EXCHANGE_RATES replaces them). The supplier quotes each country in its own
 * currency (USD, GBP, EUR, KES); a pair not listed converts through USD (FROM:USD, then USD:TO). Operators
 * set their own rates; this table only lets a fresh installation price in the listed currencies.
 */
export const DEFAULT_EXCHANGE_RATES =
  'USD:EUR=0.92,USD:GBP=0.79,USD:CAD=1.37,USD:KES=129.5,EUR:USD=1.087,GBP:USD=1.266,CAD:USD=0.73,KES:USD=0.0077';

/** Parses `USD:EUR=0.92,USD:GBP=0.79`; throws a message naming the bad entry. */
export function parseExchangeRates(text: string): ExchangeRates {
  const rates = new Map<string, Decimal>();
  for (const entry of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([A-Z]{3}):([A-Z]{3})=(\d{1,9}(?:\.\d{1,9})?)$/.exec(entry);
    if (!match) throw new Error(`"${entry}" is not FROM:TO=rate (e.g. USD:EUR=0.92)`);
    const [, from, to, rate] = match;
    lookupCurrency(from!);
    lookupCurrency(to!);
    rates.set(`${from}:${to}`, parseDecimal(rate!, { field: 'rate', maxScale: 9 }));
  }
  return rates;
}

/**
 * A supplier's price in the tenant's billing currency: the exact product with the rate, rounded once to
 * the billing currency's minor unit, half away from zero (the kit's one rounding rule).
 */
export function priceIn(price: SupplierPrice, billingCurrency: string, rates: ExchangeRates): Money {
  const from = lookupCurrency(price.currency);
  const amount = parseDecimal(price.amount, { field: 'price', maxScale: 9 });
  if (from.code === billingCurrency) return Money.of(roundHalfAwayFromZero(amount, from.digits), from.code);
  const target = lookupCurrency(billingCurrency);
  const direct = rates.get(`${from.code}:${target.code}`);
  const toUsd = from.code === 'USD' ? ONE : rates.get(`${from.code}:USD`);
  const fromUsd = target.code === 'USD' ? ONE : rates.get(`USD:${target.code}`);
  const rate = direct ?? (toUsd && fromUsd ? multiplyDecimals(toUsd, fromUsd) : undefined);
  if (!rate) throw currencyNotSupported(target.code);
  return Money.of(roundHalfAwayFromZero(multiplyDecimals(amount, rate), target.digits), target.code);
}

/** When a number released now leaves quarantine, and until when its tenant may take it back. */
export function quarantineOf(releasedAt: Date, quarantineDays: number) {
  const quarantineUntil = new Date(releasedAt.getTime() + quarantineDays * DAY_MS);
  const reclaim = new Date(releasedAt.getTime() + RECLAIM_DAYS * DAY_MS);
  return { quarantineUntil, reclaimUntil: reclaim < quarantineUntil ? reclaim : quarantineUntil };
}

/** The throughput class a number of this type gets unless its messaging profile says otherwise. */
export function defaultThroughputClass(type: string): (typeof THROUGHPUT_CLASSES)[number] {
  return type === 'toll_free' ? 'toll_free' : 'long_code';
}

/** Fields to change (absent: unchanged, empty string: cleared), as the proto's NumberPatch. */
export type NumberPatchInput = numberingV1.NumberPatch;

export interface NumberConfiguration {
  friendlyName: string;
  accountId: string | null;
  forwardingTarget: string | null;
  callerId: string | null;
  messagingWebhookUrl: string | null;
  /** How the messaging webhook is posted to: set with the URL, by the API that set it. */
  messagingWebhookFormat: 'standard_webhooks' | 'twilio';
  voiceWebhookUrl: string | null;
  messagingProfile: string;
  throughputClass: string;
}

function httpsUrl(value: string, field: string, violations: FieldViolation[]): string | null {
  if (value === '') return null;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || value.length > 2000) {
    violations.push({ field, description: 'an http(s) URL of at most 2000 characters' });
    return null;
  }
  return url.toString();
}

/**
 * Applies a patch to a number's configuration: fields present change (empty string clears), every field is
 * checked before anything is applied, and the names of the fields that changed come back. Webhooks need
 * the capability they serve.
 */
export function applyNumberPatch(
  current: NumberConfiguration,
  patch: NumberPatchInput,
  capabilities: string[],
): { next: NumberConfiguration; changed: string[]; missingCapability?: [string, string] } {
  const violations: FieldViolation[] = [];
  const next = { ...current };
  if (patch.friendlyName !== undefined) {
    if (patch.friendlyName.length > 100)
      violations.push({ field: 'friendlyName', description: 'at most 100 characters' });
    next.friendlyName = patch.friendlyName.trim();
  }
  if (patch.accountId !== undefined) {
    if (patch.accountId !== '' && !/^[A-Za-z0-9_-]{1,64}$/.test(patch.accountId)) {
      violations.push({ field: 'accountId', description: 'an account id' });
    }
    next.accountId = patch.accountId === '' ? null : patch.accountId;
  }
  if (patch.forwardingTarget !== undefined) {
    next.forwardingTarget =
      patch.forwardingTarget === ''
        ? null
        : (validE164(patch.forwardingTarget, 'forwardingTarget', violations) ?? null);
  }
  if (patch.callerId !== undefined) {
    next.callerId =
      patch.callerId === '' ? null : (validE164(patch.callerId, 'callerId', violations) ?? null);
  }
  if (patch.messagingWebhookUrl !== undefined) {
    next.messagingWebhookUrl = httpsUrl(patch.messagingWebhookUrl, 'messagingWebhookUrl', violations);
    next.messagingWebhookFormat =
      patch.messagingWebhookFormat === callbacksV1.CallbackFormat.CALLBACK_FORMAT_TWILIO
        ? 'twilio'
        : 'standard_webhooks';
  }
  if (patch.voiceWebhookUrl !== undefined) {
    next.voiceWebhookUrl = httpsUrl(patch.voiceWebhookUrl, 'voiceWebhookUrl', violations);
  }
  if (patch.messagingProfile !== undefined) {
    if (!/^[A-Za-z0-9_-]{0,64}$/.test(patch.messagingProfile)) {
      violations.push({ field: 'messagingProfile', description: 'up to 64 letters, digits, _ or -' });
    }
    next.messagingProfile = patch.messagingProfile;
  }
  if (patch.throughputClass !== undefined) {
    if (!(THROUGHPUT_CLASSES as readonly string[]).includes(patch.throughputClass)) {
      violations.push({ field: 'throughputClass', description: `one of ${THROUGHPUT_CLASSES.join(', ')}` });
    }
    next.throughputClass = patch.throughputClass;
  }
  if (violations.length > 0) throw invalidRequest(violations);
  const changed = (Object.keys(next) as (keyof NumberConfiguration)[]).filter(
    (key) => next[key] !== current[key],
  );
  const messaging = capabilities.includes('sms') || capabilities.includes('mms');
  if (patch.messagingWebhookUrl && !messaging)
    return { next, changed, missingCapability: ['sms', 'messagingWebhookUrl'] };
  if (patch.voiceWebhookUrl && !capabilities.includes('voice')) {
    return { next, changed, missingCapability: ['voice', 'voiceWebhookUrl'] };
  }
  if (patch.callerId && !capabilities.includes('voice'))
    return { next, changed, missingCapability: ['voice', 'callerId'] };
  return { next, changed };
}
