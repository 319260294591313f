import { describe, expect, it } from '@jest/globals';
import { countryPlans } from './countries';
import { describeNumber, generateInventory, magicBehaviour, MAGIC_SUFFIXES } from './inventory';

const inventory = generateInventory({ perRange: 40 });
const ofCountry = (country: string) => inventory.filter((number) => number.country === country);

describe('generateInventory', () => {
  it('is the same for the same seed and different for another', () => {
    expect(generateInventory({ perRange: 40 })).toEqual(inventory);
    expect(generateInventory({ perRange: 40, seed: 7 })).not.toEqual(inventory);
  });

  it('sells in US, CA, GB, DE, FR and KE, each number once, with its country calling code', () => {
    expect(new Set(inventory.map((number) => number.country))).toEqual(
      new Set(['US', 'CA', 'GB', 'DE', 'FR', 'KE']),
    );
    expect(new Set(inventory.map((number) => number.phoneNumber)).size).toBe(inventory.length);
    const codes: Record<string, string> = { US: '1', CA: '1', GB: '44', DE: '49', FR: '33', KE: '254' };
    for (const number of inventory) {
      expect(number.phoneNumber).toMatch(/^\+[1-9]\d{7,14}$/);
      expect(number.phoneNumber).toBe(`+${codes[number.country]}${number.nationalNumber}`);
    }
  });

  it('gives national numbers their real lengths: NANP 10, GB 10, FR 9, KE 9, DE 10 or 11', () => {
    const lengths = (country: string) =>
      new Set(ofCountry(country).map((number) => number.nationalNumber.length));
    expect(lengths('US')).toEqual(new Set([10]));
    expect(lengths('CA')).toEqual(new Set([10]));
    expect(lengths('GB')).toEqual(new Set([10]));
    expect(lengths('FR')).toEqual(new Set([9]));
    expect(lengths('KE')).toEqual(new Set([9]));
    expect(lengths('DE')).toEqual(new Set([10, 11]));
  });

  it('uses the right prefixes for each number type', () => {
    for (const number of ofCountry('US').concat(ofCountry('CA'))) {
      // NANP: NPA-NXX-XXXX, neither the area code nor the exchange starting with 0 or 1.
      expect(number.nationalNumber).toMatch(/^[2-9]\d{2}[2-9]\d{6}$/);
      if (number.type === 'toll_free')
        expect(['800', '888', '877', '866', '855', '844', '833']).toContain(number.areaCode);
      else expect(number.type).toBe('local');
    }
    for (const number of ofCountry('GB')) {
      if (number.type === 'mobile') expect(number.nationalNumber).toMatch(/^7/);
      if (number.type === 'toll_free') expect(number.nationalNumber).toMatch(/^80[08]/);
      if (number.type === 'local') expect(number.nationalNumber).toMatch(/^(1|2)/);
    }
    for (const number of ofCountry('DE').filter((n) => n.type === 'mobile'))
      expect(number.nationalNumber).toMatch(/^1[5-7]\d/);
    for (const number of ofCountry('KE').filter((n) => n.type === 'mobile'))
      expect(number.nationalNumber).toMatch(/^(7\d\d|11\d)/);
    for (const number of ofCountry('FR').filter((n) => n.type === 'mobile'))
      expect(number.nationalNumber).toMatch(/^[67]/);
  });

  it('prices in the supplier currency of the country, as decimal strings', () => {
    const currency: Record<string, string> = {
      US: 'USD',
      CA: 'USD',
      GB: 'GBP',
      DE: 'EUR',
      FR: 'EUR',
      KE: 'KES',
    };
    for (const number of inventory) {
      expect(number.setupPrice.currency).toBe(currency[number.country]);
      expect(number.monthlyPrice.currency).toBe(currency[number.country]);
      expect(number.monthlyPrice.amount).toMatch(/^\d+\.\d{2}$/);
    }
  });

  it('puts …9990, …9991 and …9992 in a local range of every country, and no other number ends in 999x', () => {
    for (const plan of countryPlans) {
      const local = ofCountry(plan.country).filter((number) => number.type === 'local');
      for (const suffix of Object.values(MAGIC_SUFFIXES))
        expect(local.some((number) => number.phoneNumber.endsWith(suffix))).toBe(true);
    }
    const magic = inventory.filter((number) => number.phoneNumber.slice(-4).startsWith('999'));
    expect(magic).toHaveLength(countryPlans.length * 3);
    expect(
      inventory.find((n) => n.phoneNumber.startsWith('+1415') && n.phoneNumber.endsWith('9991')),
    ).toBeDefined();
  });
});

describe('magicBehaviour', () => {
  it('reads the last four digits', () => {
    expect(magicBehaviour('+14155559990')).toBe('orderFails');
    expect(magicBehaviour('+447400129991')).toBe('takenByAnotherBuyer');
    expect(magicBehaviour('+254201239992')).toBe('timesOut');
    expect(magicBehaviour('+14155559993')).toBeUndefined();
  });
});

describe('describeNumber', () => {
  it('places a number of a known range, also one the inventory did not generate', () => {
    expect(describeNumber('+16135550100')).toMatchObject({
      country: 'CA',
      locality: 'Ottawa',
      type: 'local',
    });
    expect(describeNumber('+4915112345678')).toMatchObject({
      country: 'DE',
      type: 'mobile',
      areaCode: '151',
    });
  });

  it('knows nothing of a number outside its ranges or of the wrong length', () => {
    expect(describeNumber('+390212345678')).toBeUndefined();
    expect(describeNumber('+1415555010')).toBeUndefined();
  });
});
