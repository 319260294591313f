import {
  countryPlans,
  type Capability,
  type CountryPlan,
  type NumberRange,
  type NumberType,
} from './countries';

/** A number the supplier holds, as its search answers it. */
export interface InventoryNumber {
  phoneNumber: string;
  country: string;
  /** National significant number (the E.164 number without the calling code). */
  nationalNumber: string;
  locality: string;
  region: string;
  areaCode: string;
  type: NumberType;
  capabilities: Capability[];
  setupPrice: { amount: string; currency: string };
  monthlyPrice: { amount: string; currency: string };
}

/** The last four digits that select a magic behaviour (tools/carrier-sim/README.md). */
export const MAGIC_SUFFIXES = {
  orderFails: '9990',
  takenByAnotherBuyer: '9991',
  timesOut: '9992',
} as const;

export type MagicBehaviour = keyof typeof MAGIC_SUFFIXES;

export function magicBehaviour(phoneNumber: string): MagicBehaviour | undefined {
  const suffix = phoneNumber.slice(-4);
  return (Object.keys(MAGIC_SUFFIXES) as MagicBehaviour[]).find((key) => MAGIC_SUFFIXES[key] === suffix);
}

/** FNV-1a: a stable seed from a range's name. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

/** mulberry32: a small seeded generator, so the same seed always gives the same inventory. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function subscriber(range: NumberRange, random: () => number, length = range.subscriberDigits): string {
  const first = range.firstDigits ?? '123456789';
  let digits = first[Math.floor(random() * first.length)]!;
  while (digits.length < length) digits += String(Math.floor(random() * 10));
  return digits;
}

function entry(plan: CountryPlan, range: NumberRange, nationalNumber: string): InventoryNumber {
  return {
    phoneNumber: `+${plan.callingCode}${nationalNumber}`,
    country: plan.country,
    nationalNumber,
    locality: range.locality,
    region: range.region,
    areaCode: range.areaCode,
    type: range.type,
    capabilities: [...range.capabilities],
    setupPrice: { amount: range.setup, currency: plan.currency },
    monthlyPrice: { amount: range.monthly, currency: plan.currency },
  };
}

/**
 * The whole inventory: `perRange` made-up numbers in every range of every country, the same for the same
 * seed, sorted by number. Made-up numbers never end in 999x: those last four digits are the magic numbers,
 * present in each country's first local range.
 */
export function generateInventory(options: { perRange: number; seed?: number }): InventoryNumber[] {
  const numbers: InventoryNumber[] = [];
  for (const plan of countryPlans) {
    for (const range of plan.ranges) {
      const random = generator(hash(`${options.seed ?? 0}:${plan.country}:${range.prefix}`));
      const seen = new Set<string>();
      if (range.magic) {
        const head = subscriber(range, random, range.subscriberDigits - 4);
        for (const suffix of Object.values(MAGIC_SUFFIXES)) seen.add(`${range.prefix}${head}${suffix}`);
      }
      let made = 0;
      while (made < options.perRange) {
        const national = `${range.prefix}${subscriber(range, random)}`;
        if (seen.has(national) || national.slice(-4).startsWith('999')) continue;
        seen.add(national);
        made += 1;
      }
      for (const national of seen) numbers.push(entry(plan, range, national));
    }
  }
  return numbers.sort((a, b) => a.phoneNumber.localeCompare(b.phoneNumber));
}

/** The range a national number belongs to, for numbers the supplier did not generate (ported in). */
export function describeNumber(phoneNumber: string): InventoryNumber | undefined {
  for (const plan of countryPlans) {
    if (!phoneNumber.startsWith(`+${plan.callingCode}`)) continue;
    const national = phoneNumber.slice(plan.callingCode.length + 1);
    const range = plan.ranges.find(
      (candidate) =>
        national.startsWith(candidate.prefix) &&
        national.length === candidate.prefix.length + candidate.subscriberDigits,
    );
    if (range) return entry(plan, range, national);
  }
  return undefined;
}
