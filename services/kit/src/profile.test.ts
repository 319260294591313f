import { describe, expect, it } from '@jest/globals';
import { PHONE_EXAMPLE, checkRectification } from './profile';

const today = new Date('2026-12-01T00:00:00Z');
const fields = (changes: unknown) => checkRectification(changes, today).violations.map((v) => v.field);

describe('checkRectification', () => {
  it('accepts corrections the account API accepts', () => {
    expect(
      checkRectification(
        { email: 'ann.new@example.com', phone: '+14155552671', timeZone: 'Europe/London' },
        today,
      ),
    ).toEqual({
      changes: { email: 'ann.new@example.com', phone: '+14155552671', timeZone: 'Europe/London' },
      violations: [],
    });
  });

  it('names each bad field under changes, by type, length and rule, never with its value', () => {
    expect(fields({ email: 'not-an-email' })).toEqual(['changes.email']);
    expect(fields({ fullName: 'x'.repeat(201) })).toEqual(['changes.fullName']);
    expect(fields({ fullName: { first: 'Ann' } })).toEqual(['changes.fullName']);
    expect(fields({ address: { street: 'High St', city: 'Leeds', country: 'XX' } })).toEqual([
      'changes.address.country',
    ]);
    expect(fields({ companyUrl: 'javascript:alert(1)', dateOfBirth: '2999-01-01' }).sort()).toEqual([
      'changes.companyUrl',
      'changes.dateOfBirth',
    ]);
    const { violations } = checkRectification({ email: 'not-an-email', password: 'hunter2' }, today);
    expect(JSON.stringify(violations)).not.toMatch(/not-an-email|hunter2/);
  });

  it('refuses fields that are not a profile, and no field at all', () => {
    expect(fields({ password: 'x' })).toEqual(['changes']);
    expect(fields({})).toEqual(['changes']);
    expect(fields(['email'])).toEqual(['changes']);
  });
});

describe('the phone number error', () => {
  it('suggests an example that is itself accepted', () => {
    const refused = checkRectification({ phone: '12' }, today).violations.find(
      (v) => v.field === 'changes.phone',
    );
    expect(refused?.description).toContain(PHONE_EXAMPLE);
    const example = /\+\d+/.exec(refused!.description)![0];
    expect(checkRectification({ phone: example }, today).violations).toEqual([]);
  });
});
