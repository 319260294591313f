import { describe, expect, it } from '@jest/globals';
import { identityV1 } from '@parley/proto';
import { parseNewTenant, sameTenant, toProtoTenant } from './tenant';

const valid = {
  id: 'acme-corp',
  name: ' Acme Corp ',
  tenancyMode: identityV1.TenancyMode.TENANCY_MODE_DEDICATED,
  jurisdiction: identityV1.Jurisdiction.JURISDICTION_CCPA,
};

describe('parseNewTenant', () => {
  it('accepts a slug id and maps the enums', () => {
    expect(parseNewTenant(valid)).toEqual({
      id: 'acme-corp',
      name: 'Acme Corp',
      tenancyMode: 'dedicated',
      jurisdiction: 'ccpa',
    });
  });

  it.each(['-acme', 'acme-', 'Acme', 'a', 'acme_corp', 'x'.repeat(64)])('refuses the id %p', (id) => {
    expect(() => parseNewTenant({ ...valid, id })).toThrow(/^id: /);
  });

  it('refuses unspecified enums, naming them', () => {
    expect(() => parseNewTenant({ ...valid, tenancyMode: 0, jurisdiction: 0 })).toThrow(
      /tenancyMode: .*; jurisdiction: /,
    );
  });
});

describe('toProtoTenant', () => {
  it('round-trips through the contract', () => {
    const tenant = { ...parseNewTenant(valid), status: 'suspended', createdAt: new Date(0) };
    const proto = toProtoTenant(tenant);
    expect(proto).toMatchObject({ id: 'acme-corp', status: identityV1.TenantStatus.TENANT_STATUS_SUSPENDED });
    expect(parseNewTenant({ ...proto, name: proto.name })).toEqual(parseNewTenant(valid));
    expect(sameTenant(parseNewTenant(valid), { ...parseNewTenant(valid), name: 'Other' })).toBe(false);
  });
});
