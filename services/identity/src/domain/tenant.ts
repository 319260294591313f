import type { FieldViolation } from '@parley/kit';
import { identityV1 } from '@parley/proto';
import { invalidTenant } from './errors';
import { twilioAccountSid } from './twilio';

export type TenancyMode = 'pooled' | 'dedicated';
export type Jurisdiction = 'gdpr' | 'uk_gdpr' | 'ccpa' | 'other';
export type TenantStatus = 'provisioning' | 'active' | 'suspended' | 'closed';

export interface NewTenant {
  id: string;
  name: string;
  tenancyMode: TenancyMode;
  jurisdiction: Jurisdiction;
  minimumAge: number;
}

export const DEFAULT_MINIMUM_AGE = 18;
/** Tenant ids that name the platform itself and cannot be taken. */
export const reservedTenantIds = new Set(['platform', 'parley', 'admin', 'system', 'master']);

const slug = /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/;

const modes: Record<number, TenancyMode> = {
  [identityV1.TenancyMode.TENANCY_MODE_POOLED]: 'pooled',
  [identityV1.TenancyMode.TENANCY_MODE_DEDICATED]: 'dedicated',
};
const jurisdictions: Record<number, Jurisdiction> = {
  [identityV1.Jurisdiction.JURISDICTION_GDPR]: 'gdpr',
  [identityV1.Jurisdiction.JURISDICTION_UK_GDPR]: 'uk_gdpr',
  [identityV1.Jurisdiction.JURISDICTION_CCPA]: 'ccpa',
  [identityV1.Jurisdiction.JURISDICTION_OTHER]: 'other',
};

/** Checks a create-tenant request and names every field that is wrong. */
export function parseNewTenant(request: identityV1.CreateTenantRequest): NewTenant {
  const violations: FieldViolation[] = [];
  if (!slug.test(request.id)) {
    violations.push({
      field: 'id',
      description: 'lowercase letters, digits and inner hyphens, 2-63 characters',
    });
  } else if (reservedTenantIds.has(request.id)) {
    violations.push({ field: 'id', description: `${request.id} is reserved` });
  }
  const minimumAge = request.minimumAge === 0 ? DEFAULT_MINIMUM_AGE : request.minimumAge;
  if (!Number.isInteger(minimumAge) || minimumAge < 13 || minimumAge > 21) {
    violations.push({ field: 'minimumAge', description: 'an age from 13 to 21' });
  }
  const name = request.name.trim();
  if (name.length < 1 || name.length > 200)
    violations.push({ field: 'name', description: '1-200 characters' });
  const tenancyMode = modes[request.tenancyMode];
  if (!tenancyMode) violations.push({ field: 'tenancyMode', description: 'pooled or dedicated' });
  const jurisdiction = jurisdictions[request.jurisdiction];
  if (!jurisdiction) violations.push({ field: 'jurisdiction', description: 'gdpr, uk_gdpr, ccpa or other' });
  if (violations.length > 0 || !tenancyMode || !jurisdiction) throw invalidTenant(violations);
  return { id: request.id, name, tenancyMode, jurisdiction, minimumAge };
}

export function sameTenant(a: NewTenant, b: NewTenant): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.tenancyMode === b.tenancyMode &&
    a.jurisdiction === b.jurisdiction &&
    a.minimumAge === b.minimumAge
  );
}

const statuses: Record<TenantStatus, identityV1.TenantStatus> = {
  active: identityV1.TenantStatus.TENANT_STATUS_ACTIVE,
  suspended: identityV1.TenantStatus.TENANT_STATUS_SUSPENDED,
  closed: identityV1.TenantStatus.TENANT_STATUS_CLOSED,
  provisioning: identityV1.TenantStatus.TENANT_STATUS_PROVISIONING,
};

export function toProtoTenant(
  tenant: NewTenant & { status: string; createdAt: Date; realm: string },
): identityV1.Tenant {
  const mode = Object.entries(modes).find(([, value]) => value === tenant.tenancyMode)?.[0];
  const jurisdiction = Object.entries(jurisdictions).find(([, value]) => value === tenant.jurisdiction)?.[0];
  return {
    id: tenant.id,
    name: tenant.name,
    tenancyMode: Number(mode ?? 0),
    jurisdiction: Number(jurisdiction ?? 0),
    status: statuses[tenant.status as TenantStatus] ?? identityV1.TenantStatus.TENANT_STATUS_UNSPECIFIED,
    createdAt: tenant.createdAt,
    minimumAge: tenant.minimumAge,
    realm: tenant.realm,
    twilioAccountSid: twilioAccountSid(tenant.id),
  };
}
