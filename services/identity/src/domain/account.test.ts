import { describe, expect, it } from '@jest/globals';
import { AppError } from '@parley/kit';
import { ageOn, applyProfile, isTimeZone, parseRoles, type Profile } from './account';

const rules = { minimumAge: 18, today: new Date('2026-11-22T12:00:00Z') };

function violationsOf(work: () => unknown): { reason: string; fields: string[] } {
  try {
    work();
  } catch (error) {
    if (error instanceof AppError)
      return { reason: error.reason, fields: error.fieldViolations.map((v) => v.field) };
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('applyProfile (sign-up)', () => {
  it('normalises a valid profile: E.164 numbers, upper-case country, trimmed text', () => {
    const { profile } = applyProfile(
      undefined,
      {
        fullName: '  Jane Roe ',
        email: 'jane@example.com',
        phone: '07911 123456',
        outgoingCallerId: '+1 415 555 2671',
        address: { street: '1 High St', city: 'London', state: '', postalCode: 'N1 9GU', country: 'gb' },
        timeZone: 'Europe/London',
        companyUrl: 'https://example.com/about',
        dateOfBirth: '1990-05-01',
      },
      rules,
    );
    expect(profile).toMatchObject({
      fullName: 'Jane Roe',
      phone: '+447911123456',
      outgoingCallerId: '+14155552671',
      address: { country: 'GB', postalCode: 'N1 9GU' },
      timeZone: 'Europe/London',
      dateOfBirth: '1990-05-01',
    });
  });

  it('names every invalid field at once', () => {
    const result = violationsOf(() =>
      applyProfile(
        undefined,
        {
          fullName: '',
          email: 'not-an-email',
          phone: '12',
          companyUrl: 'ftp://files.example.com',
          timeZone: 'Mars/Olympus',
          address: { street: '', city: 'X', state: '', postalCode: '', country: 'XX' },
          dateOfBirth: '1990-02-30',
        },
        rules,
      ),
    );
    expect(result.reason).toBe('ACCOUNT_INVALID');
    expect(result.fields.sort()).toEqual(
      [
        'address.country',
        'address.street',
        'companyUrl',
        'dateOfBirth',
        'email',
        'fullName',
        'phone',
        'timeZone',
      ].sort(),
    );
  });

  it('needs a date of birth or an age attestation', () => {
    expect(
      violationsOf(() => applyProfile(undefined, { fullName: 'A', email: 'a@b.co' }, rules)).fields,
    ).toEqual(['ageAttested']);
    expect(
      applyProfile(undefined, { fullName: 'A', email: 'a@b.co', ageAttested: true }, rules).profile
        .ageAttested,
    ).toBe(true);
  });

  it("refuses anyone younger than the tenant's minimum age, counting birthdays exactly", () => {
    expect(
      violationsOf(() =>
        applyProfile(undefined, { fullName: 'A', email: 'a@b.co', dateOfBirth: '2008-11-23' }, rules),
      ),
    ).toEqual({
      reason: 'UNDER_MINIMUM_AGE',
      fields: ['dateOfBirth'],
    });
    expect(
      applyProfile(undefined, { fullName: 'A', email: 'a@b.co', dateOfBirth: '2008-11-22' }, rules).profile
        .dateOfBirth,
    ).toBe('2008-11-22');
    expect(() =>
      applyProfile(
        undefined,
        { fullName: 'A', email: 'a@b.co', dateOfBirth: '2010-01-01' },
        { ...rules, minimumAge: 16 },
      ),
    ).not.toThrow();
  });
});

describe('applyProfile (patch)', () => {
  const current: Profile = applyProfile(
    undefined,
    {
      fullName: 'Jane',
      email: 'jane@example.com',
      phone: '+447911123456',
      ageAttested: true,
      companyName: 'Acme',
    },
    rules,
  ).profile;

  it('changes only what is present, clears with an empty value, and lists the changed fields', () => {
    const { profile, changed } = applyProfile(current, { fullName: 'Jane Roe', companyName: '' }, rules);
    expect(profile).toMatchObject({
      fullName: 'Jane Roe',
      companyName: null,
      phone: '+447911123456',
      email: 'jane@example.com',
    });
    expect(changed.sort()).toEqual(['companyName', 'fullName']);
    expect(applyProfile(current, {}, rules).changed).toEqual([]);
  });

  it('does not let a patch empty a required field', () => {
    expect(violationsOf(() => applyProfile(current, { email: '' }, rules)).fields).toEqual(['email']);
  });
});

describe('helpers', () => {
  it('know IANA zones, ages and roles', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('EST5EDT')).toBe(false);
    expect(ageOn('2000-02-29', new Date('2018-02-28T00:00:00Z'))).toBe(17);
    expect(ageOn('2000-02-29', new Date('2018-03-01T00:00:00Z'))).toBe(18);
    expect(parseRoles(['admin', 'admin', 'billing'])).toEqual(['admin', 'billing']);
    expect(violationsOf(() => parseRoles(['root'])).reason).toBe('ROLES_INVALID');
  });
});
