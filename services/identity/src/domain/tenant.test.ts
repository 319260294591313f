import { describe, expect, it } from '@jest/globals';
import { identityV1 } from '@parley/proto';
import { parseNewTenant, sameTenant, toProtoTenant } from './tenant';

const valid = {
  id: 'acme-corp',
  name: ' Acme Corp ',
  tenancyMode: identityV1.TenancyMode.TENANCY_MODE_DEDICATED,
  jurisdiction: identityV1.Jurisdiction.JURISDICTION_CCPA,
  minimumAge: 0,
};

describe('parseNewTenant', () => {
  it('accepts a slug id, maps the enums and defaults the minimum age to 18', () => {
    expect(parseNewTenant(valid)).toEqual({
      id: 'acme-corp',
      name: 'Acme Corp',
      tenancyMode: 'dedicated',
      jurisdiction: 'ccpa',
      minimumAge: 18,
    });
    expect(parseNewTenant({ ...valid, minimumAge: 16 }).minimumAge).toBe(16);
  });

  it.each(['-acme', 'acme-', 'Acme', 'a', 'acme_corp', 'x'.repeat(64)])('refuses the id %p', (id) => {
    expect(() => parseNewTenant({ ...valid, id })).toThrow(/^id: /);
  });

  it.each(['platform', 'master'])('refuses the reserved id %p', (id) => {
    expect(() => parseNewTenant({ ...valid, id })).toThrow(`id: ${id} is reserved`);
  });

  it('refuses unspecified enums and an out-of-range minimum age, naming them', () => {
    expect(() => parseNewTenant({ ...valid, tenancyMode: 0, jurisdiction: 0, minimumAge: 12 })).toThrow(
      /minimumAge: .*; tenancyMode: .*; jurisdiction: /,
    );
  });
});

describe('toProtoTenant', () => {
  it('round-trips through the contract', () => {
    const tenant = {
      ...parseNewTenant(valid),
      status: 'provisioning',
      createdAt: new Date(0),
      realm: 'tenant-acme-corp',
    };
    const proto = toProtoTenant(tenant);
    expect(proto).toMatchObject({
      id: 'acme-corp',
      status: identityV1.TenantStatus.TENANT_STATUS_PROVISIONING,
      realm: 'tenant-acme-corp',
      minimumAge: 18,
    });
    expect(parseNewTenant({ ...proto, name: proto.name })).toEqual(parseNewTenant(valid));
    expect(sameTenant(parseNewTenant(valid), { ...parseNewTenant(valid), name: 'Other' })).toBe(false);
  });
});
