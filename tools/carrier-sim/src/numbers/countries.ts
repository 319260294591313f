/**
 * The simulator's number plan: for each country it sells, the ranges it holds, with their real dialling
 * codes, national number lengths, area codes and localities, the capabilities a number in the range has
 * and its setup and monthly price in the supplier's own currency. The numbers inside a range are made up
 * (see inventory.ts), the ranges are not.
 */

export type NumberType = 'local' | 'mobile' | 'toll_free';
export type Capability = 'sms' | 'mms' | 'voice';

export interface NumberRange {
  type: NumberType;
  /** What a customer types as the area code (national destination code, no trunk prefix). */
  areaCode: string;
  /** National significant digits every number of the range starts with. */
  prefix: string;
  /** Digits after the prefix. */
  subscriberDigits: number;
  /** Allowed first digits after the prefix (NANP exchanges never start with 0 or 1). */
  firstDigits?: string;
  locality: string;
  region: string;
  capabilities: Capability[];
  setup: string;
  monthly: string;
  /** The range holds the magic numbers (…9990, …9991, …9992) too. */
  magic?: boolean;
}

export interface CountryPlan {
  /** ISO 3166-1 alpha-2. */
  country: string;
  callingCode: string;
  currency: string;
  /** Digit dialled before the national number inside the country (stripped from a searched area code). */
  trunkPrefix: string;
  ranges: NumberRange[];
}

const all: Capability[] = ['sms', 'mms', 'voice'];
const smsVoice: Capability[] = ['sms', 'voice'];
const voice: Capability[] = ['voice'];
const exchange = '23456789';

function nanpLocal(
  areaCode: string,
  locality: string,
  region: string,
  capabilities: Capability[],
  price: { setup: string; monthly: string },
  magic = false,
): NumberRange {
  return {
    type: 'local',
    areaCode,
    prefix: areaCode,
    subscriberDigits: 7,
    firstDigits: exchange,
    locality,
    region,
    capabilities,
    ...price,
    magic,
  };
}

function nanpTollFree(areaCode: string, price: { setup: string; monthly: string }): NumberRange {
  return {
    type: 'toll_free',
    areaCode,
    prefix: areaCode,
    subscriberDigits: 7,
    firstDigits: exchange,
    locality: '',
    region: '',
    capabilities: smsVoice,
    ...price,
  };
}

const usLocal = { setup: '1.00', monthly: '1.15' };
const usTollFree = { setup: '1.00', monthly: '2.15' };
const caLocal = { setup: '1.00', monthly: '1.30' };

export const countryPlans: CountryPlan[] = [
  {
    country: 'US',
    callingCode: '1',
    currency: 'USD',
    trunkPrefix: '1',
    ranges: [
      nanpLocal('415', 'San Francisco', 'CA', all, usLocal, true),
      nanpLocal('212', 'New York', 'NY', smsVoice, usLocal),
      nanpLocal('312', 'Chicago', 'IL', all, usLocal),
      nanpLocal('512', 'Austin', 'TX', all, usLocal),
      nanpLocal('206', 'Seattle', 'WA', all, usLocal),
      nanpLocal('617', 'Boston', 'MA', smsVoice, usLocal),
      nanpLocal('305', 'Miami', 'FL', voice, usLocal),
      nanpTollFree('800', usTollFree),
      nanpTollFree('888', usTollFree),
      nanpTollFree('877', usTollFree),
    ],
  },
  {
    country: 'CA',
    callingCode: '1',
    currency: 'USD',
    trunkPrefix: '1',
    ranges: [
      nanpLocal('416', 'Toronto', 'ON', all, caLocal, true),
      nanpLocal('604', 'Vancouver', 'BC', all, caLocal),
      nanpLocal('514', 'Montréal', 'QC', smsVoice, caLocal),
      nanpLocal('403', 'Calgary', 'AB', smsVoice, caLocal),
      nanpLocal('613', 'Ottawa', 'ON', voice, caLocal),
      nanpTollFree('833', usTollFree),
      nanpTollFree('844', usTollFree),
    ],
  },
  {
    country: 'GB',
    callingCode: '44',
    currency: 'GBP',
    trunkPrefix: '0',
    ranges: [
      // 020 3xxx xxxx / 020 7xxx xxxx / 020 8xxx xxxx
      geo('20', 8, '378', 'London', 'England', smsVoice, '0.00', '0.80', true),
      geo('161', 7, '2345678', 'Manchester', 'England', voice, '0.00', '0.80'),
      geo('121', 7, '2345678', 'Birmingham', 'England', voice, '0.00', '0.80'),
      geo('131', 7, '2345678', 'Edinburgh', 'Scotland', voice, '0.00', '0.80'),
      geo('29', 8, '2', 'Cardiff', 'Wales', voice, '0.00', '0.80'),
      mobile('7400', 6, smsVoice, '0.00', '1.00'),
      mobile('7520', 6, smsVoice, '0.00', '1.00'),
      mobile('7781', 6, smsVoice, '0.00', '1.00'),
      tollFree('800', 7, voice, '0.00', '1.50'),
      tollFree('808', 7, voice, '0.00', '1.50'),
    ],
  },
  {
    country: 'DE',
    callingCode: '49',
    currency: 'EUR',
    trunkPrefix: '0',
    ranges: [
      geo('30', 8, '23456789', 'Berlin', 'Berlin', voice, '1.00', '1.00', true),
      geo('89', 8, '23456789', 'München', 'Bayern', voice, '1.00', '1.00'),
      geo('40', 8, '23456789', 'Hamburg', 'Hamburg', voice, '1.00', '1.00'),
      geo('69', 8, '23456789', 'Frankfurt am Main', 'Hessen', voice, '1.00', '1.00'),
      geo('221', 7, '23456789', 'Köln', 'Nordrhein-Westfalen', voice, '1.00', '1.00'),
      mobile('151', 8, smsVoice, '5.00', '6.00'),
      mobile('157', 8, smsVoice, '5.00', '6.00'),
      mobile('160', 7, smsVoice, '5.00', '6.00'),
      mobile('172', 7, smsVoice, '5.00', '6.00'),
      mobile('176', 8, smsVoice, '5.00', '6.00'),
      tollFree('800', 7, voice, '10.00', '10.00'),
    ],
  },
  {
    country: 'FR',
    callingCode: '33',
    currency: 'EUR',
    trunkPrefix: '0',
    ranges: [
      // 01 4x xx xx xx / 01 5x xx xx xx
      geo('1', 8, '45', 'Paris', 'Île-de-France', voice, '1.00', '1.50', true),
      geo('478', 6, '0123456789', 'Lyon', 'Auvergne-Rhône-Alpes', voice, '1.00', '1.50'),
      geo('491', 6, '0123456789', 'Marseille', "Provence-Alpes-Côte d'Azur", voice, '1.00', '1.50'),
      geo('556', 6, '0123456789', 'Bordeaux', 'Nouvelle-Aquitaine', voice, '1.00', '1.50'),
      geo('320', 6, '0123456789', 'Lille', 'Hauts-de-France', voice, '1.00', '1.50'),
      mobile('6', 8, smsVoice, '2.00', '4.00'),
      mobile('7', 8, smsVoice, '2.00', '4.00', '345678'),
      tollFree('800', 6, voice, '10.00', '8.00'),
    ],
  },
  {
    country: 'KE',
    callingCode: '254',
    currency: 'KES',
    trunkPrefix: '0',
    ranges: [
      geo('20', 7, '2345678', 'Nairobi', 'Nairobi', voice, '500.00', '1000.00', true),
      geo('41', 7, '2345678', 'Mombasa', 'Mombasa', voice, '500.00', '1000.00'),
      geo('57', 7, '2345678', 'Kisumu', 'Kisumu', voice, '500.00', '1000.00'),
      geo('51', 7, '2345678', 'Nakuru', 'Nakuru', voice, '500.00', '1000.00'),
      mobile('722', 6, smsVoice, '100.00', '350.00'),
      mobile('710', 6, smsVoice, '100.00', '350.00'),
      mobile('733', 6, smsVoice, '100.00', '350.00'),
      mobile('790', 6, smsVoice, '100.00', '350.00'),
      mobile('110', 6, smsVoice, '100.00', '350.00'),
      tollFree('800', 6, voice, '2000.00', '3000.00'),
    ],
  },
];

function geo(
  areaCode: string,
  subscriberDigits: number,
  firstDigits: string,
  locality: string,
  region: string,
  capabilities: Capability[],
  setup: string,
  monthly: string,
  magic = false,
): NumberRange {
  return {
    type: 'local',
    areaCode,
    prefix: areaCode,
    subscriberDigits,
    firstDigits,
    locality,
    region,
    capabilities,
    setup,
    monthly,
    magic,
  };
}

function mobile(
  areaCode: string,
  subscriberDigits: number,
  capabilities: Capability[],
  setup: string,
  monthly: string,
  firstDigits?: string,
): NumberRange {
  return {
    type: 'mobile',
    areaCode,
    prefix: areaCode,
    subscriberDigits,
    firstDigits,
    locality: '',
    region: '',
    capabilities,
    setup,
    monthly,
  };
}

function tollFree(
  areaCode: string,
  subscriberDigits: number,
  capabilities: Capability[],
  setup: string,
  monthly: string,
): NumberRange {
  return {
    type: 'toll_free',
    areaCode,
    prefix: areaCode,
    subscriberDigits,
    locality: '',
    region: '',
    capabilities,
    setup,
    monthly,
  };
}

export const countries = new Map(countryPlans.map((plan) => [plan.country, plan]));
