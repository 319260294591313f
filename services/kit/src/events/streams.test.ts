import { describe, expect, it } from '@jest/globals';
import { Naming } from './streams';

describe('Naming', () => {
  it('derives stream and subjects from the owning service', () => {
    expect(new Naming().stream('identity')).toEqual({ name: 'IDENTITY', subjects: ['identity.>'] });
    expect(new Naming().subject('identity.tenant.created')).toBe('identity.tenant.created');
    expect(Naming.owner('billing.invoice.issued')).toBe('billing');
  });

  it('puts a deployment prefix in front of both, and strips it back off', () => {
    const naming = new Naming('t-acme');
    expect(naming.stream('identity')).toEqual({ name: 'T-ACME_IDENTITY', subjects: ['t-acme.identity.>'] });
    expect(naming.subject('identity.tenant.created')).toBe('t-acme.identity.tenant.created');
    expect(naming.eventType('t-acme.identity.tenant.created')).toBe('identity.tenant.created');
  });
});
