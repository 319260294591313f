import { identityV1 } from '@parley/proto';
import { prefixOf } from '../domain/apiKey';
import type { ApiKeyRecord } from '../db/apiKeys';
import type { Account } from '../db/accounts';
import type { OAuthClientRow } from '../db/schema';
import type { ProfileInput } from '../domain/account';

export function toProtoApiKey(record: ApiKeyRecord): identityV1.ApiKey {
  return {
    id: record.id,
    tenantId: record.tenantId,
    name: record.name,
    prefix: prefixOf(record.lookupId),
    scopes: record.scopes,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? undefined,
    lastUsedAt: record.lastUsedAt ?? undefined,
    revokedAt: record.revokedAt ?? undefined,
  };
}

export function toProtoAccount(account: Account): identityV1.Account {
  return {
    id: account.id,
    tenantId: account.tenantId,
    fullName: account.fullName,
    email: account.email,
    phone: account.phone ?? '',
    companyName: account.companyName ?? '',
    companyLocation: account.companyLocation ?? '',
    companyUrl: account.companyUrl ?? '',
    address: account.address ?? undefined,
    timeZone: account.timeZone ?? '',
    outgoingCallerId: account.outgoingCallerId ?? '',
    dateOfBirth: account.dateOfBirth ?? '',
    ageAttested: account.ageAttested,
    roles: account.roles,
    status:
      account.status === 'closed'
        ? identityV1.AccountStatus.ACCOUNT_STATUS_CLOSED
        : identityV1.AccountStatus.ACCOUNT_STATUS_ACTIVE,
    signupIp: account.signupIp,
    signupUserAgent: account.signupUserAgent,
    lastLoginIp: account.lastLoginIp ?? '',
    lastLoginUserAgent: account.lastLoginUserAgent ?? '',
    lastLoginAt: account.lastLoginAt ?? undefined,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
    closedAt: account.closedAt ?? undefined,
  };
}

export function toProtoClient(row: OAuthClientRow, tokenUrl: string): identityV1.OAuthClient {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    clientId: row.clientId,
    scopes: row.scopes,
    tokenUrl,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt ?? undefined,
  };
}

/** The contract's optional fields, as the domain's profile input (absent stays absent). */
export function profileInput(profile: identityV1.AccountProfile | undefined): ProfileInput {
  if (!profile) return {};
  return {
    fullName: profile.fullName,
    email: profile.email,
    phone: profile.phone,
    companyName: profile.companyName,
    companyLocation: profile.companyLocation,
    companyUrl: profile.companyUrl,
    address: profile.address,
    clearAddress: profile.clearAddress,
    timeZone: profile.timeZone,
    outgoingCallerId: profile.outgoingCallerId,
    dateOfBirth: profile.dateOfBirth,
    ageAttested: profile.ageAttested,
  };
}
