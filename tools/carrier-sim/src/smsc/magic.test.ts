import { describe, expect, it } from '@jest/globals';
import { MAGIC_SUFFIXES } from '../numbers/inventory';
import { destinationBehaviour, MAGIC_DESTINATIONS } from './magic';

describe('SMSC magic destinations', () => {
  it.each([
    ['447700909980', 'undelivered'],
    ['+14155559981', 'reject'],
    ['14155559982', 'throttle'],
    ['14155559983', 'no_receipt'],
    ['14155559984', 'slow_receipt'],
    ['14155559985', 'expire'],
    ['14155559986', 'no_response'],
    ['14155550100', 'deliver'],
    ['14155559990', 'deliver'],
    ['14155599800', 'deliver'],
  ])('%s → %s', (destination, behaviour) => {
    expect(destinationBehaviour(destination)).toBe(behaviour);
  });

  it('shares no ending with the number API magic suffixes', () => {
    for (const suffix of Object.values(MAGIC_SUFFIXES))
      expect(Object.keys(MAGIC_DESTINATIONS)).not.toContain(suffix);
  });
});
