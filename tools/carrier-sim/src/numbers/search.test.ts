import { describe, expect, it } from '@jest/globals';
import { generateInventory } from './inventory';
import { containsPattern, matcher, normaliseAreaCode, searchQuerySchema } from './search';

const inventory = generateInventory({ perRange: 40 });
const search = (query: Record<string, string>) => {
  const parsed = searchQuerySchema.parse(query);
  return inventory.filter(matcher(parsed));
};

describe('searchQuerySchema', () => {
  it('upper-cases the country, splits capabilities and defaults the limit to 20', () => {
    expect(searchQuerySchema.parse({ country: 'us', capabilities: 'sms, voice,sms' })).toEqual({
      country: 'US',
      capabilities: ['sms', 'voice'],
      limit: 20,
    });
  });

  it.each([
    [{}, 'country'],
    [{ country: 'USA' }, 'country'],
    [{ country: 'US', type: 'landline' }, 'type'],
    [{ country: 'US', capabilities: 'sms,fax' }, 'capabilities'],
    [{ country: 'US', contains: '55a' }, 'contains'],
    [{ country: 'US', contains: '1234567890123456' }, 'contains'],
    [{ country: 'US', areaCode: '41x' }, 'areaCode'],
    [{ country: 'US', limit: '0' }, 'limit'],
    [{ country: 'US', limit: '101' }, 'limit'],
    [{ country: 'US', limit: '2.5' }, 'limit'],
  ])('refuses %j, naming %s', (query, field) => {
    const result = searchQuerySchema.safeParse(query);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });
});

describe('matcher', () => {
  it('requires every capability listed', () => {
    const found = search({ country: 'US', capabilities: 'sms,mms' });
    expect(found.length).toBeGreaterThan(0);
    for (const number of found) expect(number.capabilities).toEqual(expect.arrayContaining(['sms', 'mms']));
    expect(found.some((number) => number.areaCode === '212')).toBe(false); // New York: sms and voice only
  });

  it('filters by area code and type', () => {
    const found = search({ country: 'GB', areaCode: '020', type: 'local' });
    expect(found.length).toBeGreaterThan(0);
    for (const number of found) expect(number).toMatchObject({ areaCode: '20', locality: 'London' });
    expect(search({ country: 'US', type: 'mobile' })).toEqual([]);
    for (const number of search({ country: 'US', type: 'toll_free' })) expect(number.locality).toBe('');
  });

  it('matches contains anywhere in the national number, * being any one digit', () => {
    const found = search({ country: 'DE', contains: '1*0' });
    expect(found.length).toBeGreaterThan(0);
    for (const number of found) expect(number.nationalNumber).toMatch(/1\d0/);
    expect(found.length).toBe(
      inventory.filter((n) => n.country === 'DE' && /1\d0/.test(n.nationalNumber)).length,
    );
  });
});

describe('containsPattern', () => {
  it('treats digits literally and * as one digit', () => {
    expect(containsPattern('4*5').test('4155550100')).toBe(true);
    expect(containsPattern('4*5').test('4055550100')).toBe(true);
    expect(containsPattern('1**1').test('4155550100')).toBe(false);
  });
});

describe('normaliseAreaCode', () => {
  it('drops the trunk prefix a caller may type', () => {
    expect(normaliseAreaCode('GB', '020')).toBe('20');
    expect(normaliseAreaCode('DE', '0151')).toBe('151');
    expect(normaliseAreaCode('US', '1415')).toBe('415');
    expect(normaliseAreaCode('US', '415')).toBe('415');
    expect(normaliseAreaCode('KE', '20')).toBe('20');
  });
});
