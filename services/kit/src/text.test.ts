import { describe, expect, it } from '@jest/globals';
import { controlCharacterViolations, hasControlCharacter } from './text';

describe('controlCharacterViolations', () => {
  it('names every string holding a control character by its path', () => {
    const violations = controlCharacterViolations({
      name: 'A\u0000B',
      subject: { email: 'x\u001b@example.com', accountId: 'fine' },
      scopes: ['ok', 'bad\u007f'],
    });
    expect(violations.map((violation) => violation.field)).toEqual(['name', 'subject.email', 'scopes.1']);
  });

  it('lets tab, line breaks and ordinary Unicode through', () => {
    expect(controlCharacterViolations({ note: 'line one\r\nline\ttwo', name: 'Zoë 😀 中文' })).toEqual([]);
  });

  it('leaves bytes and dates alone and names a bare string by the root', () => {
    expect(controlCharacterViolations({ bytes: Buffer.from([0, 1, 2]), at: new Date() })).toEqual([]);
    expect(controlCharacterViolations('\u0000', 'id')).toEqual([
      { field: 'id', description: expect.any(String) },
    ]);
  });

  it('refuses C1 controls too', () => {
    expect(hasControlCharacter('\u0085')).toBe(true);
    expect(hasControlCharacter('\u00a0')).toBe(false);
  });
});
