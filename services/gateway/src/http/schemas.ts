import { identityV1 } from '@parley/proto';
import { PHONE_EXAMPLE, profileSchemas, roles, scopes } from '@parley/kit';
import { z } from './zod';

/** An http(s) URL with a host (a callback may be plain http, as Twilio accepts). */
export const webUrl = z
  .string()
  .max(2000)
  .regex(/^https?:\/\/[^\s/?#]+[^\s]*$/i, 'an http(s) URL of at most 2000 characters');
/** An https URL with a host. */
export const httpsUrl = z
  .string()
  .max(2000)
  .regex(/^https:\/\/[^\s/?#]+[^\s]*$/i, 'an https URL of at most 2000 characters');
export const timestamp = z.iso.datetime().openapi({ example: '2026-11-22T09:30:00.000Z' });
export const iso = (date: Date | undefined) => date?.toISOString();
export const money = z
  .object({
    currency: z.string().openapi({ example: 'USD' }),
    minorUnits: z
      .string()
      .openapi({ description: 'Minor units (cents) as an integer string', example: '115' }),
  })
  .openapi('Money');
export const nextPage = z.string().openapi({
  description:
    'Opaque cursor for the next page: pass it back unchanged as `pageToken`. Empty on the last page.',
  example: '',
});

/** An opaque page cursor: only ever one this API handed out, passed back as it is. */
export const pageToken = z.string().max(500).optional().openapi({
  description:
    'Opaque cursor: the `nextPageToken` of the previous page, passed back unchanged with the same filters. Do not build, parse or keep it; its form may change at any time. A token this API did not issue answers 400 `PAGE_TOKEN_INVALID`.',
});

export const pageQuery = z.object({
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: 'Items per page (1-100, default 50).' }),
  pageToken,
});

/**
 * The `{id}` of a resource: a UUID. A path parameter that is not a well-formed id names no resource, so
 * the route answers 404 (the server turns a failed params check into 404, never 400 or 500).
 */
export const idParams = z.object({
  id: z
    .uuid()
    .openapi({ description: 'Resource id (a UUID)', example: '0b7c6f8e-3a52-4f9d-9c1e-2d4a6b8c0e1f' }),
});

/** The `{id}` of a tenant: its slug. */
export const tenantIdParams = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/, 'must be a tenant id (lowercase letters, digits, hyphens)')
    .openapi({ description: 'Tenant id', example: 'acme' }),
});

/** The `{id}` of a download link: its opaque token. */
export const linkTokenParams = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be a link token as issued')
    .openapi({ description: 'The opaque token of the link, as issued' }),
});

const modeNames: Record<number, 'pooled' | 'dedicated'> = { 1: 'pooled', 2: 'dedicated' };
const jurisdictionNames: Record<number, 'gdpr' | 'uk_gdpr' | 'ccpa' | 'other'> = {
  1: 'gdpr',
  2: 'uk_gdpr',
  3: 'ccpa',
  4: 'other',
};
const statusNames: Record<number, 'active' | 'suspended' | 'closed' | 'provisioning'> = {
  1: 'active',
  2: 'suspended',
  3: 'closed',
  4: 'provisioning',
};
export const tenancyModes = {
  pooled: identityV1.TenancyMode.TENANCY_MODE_POOLED,
  dedicated: identityV1.TenancyMode.TENANCY_MODE_DEDICATED,
};
export const jurisdictions = {
  gdpr: identityV1.Jurisdiction.JURISDICTION_GDPR,
  uk_gdpr: identityV1.Jurisdiction.JURISDICTION_UK_GDPR,
  ccpa: identityV1.Jurisdiction.JURISDICTION_CCPA,
  other: identityV1.Jurisdiction.JURISDICTION_OTHER,
};

export const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tenancyMode: z.enum(['pooled', 'dedicated']),
    jurisdiction: z.enum(['gdpr', 'uk_gdpr', 'ccpa', 'other']),
    status: z.enum(['active', 'suspended', 'closed', 'provisioning']),
    minimumAge: z.number().int(),
    realm: z.string().openapi({ description: "Identity-provider realm of the tenant's users" }),
    twilioAccountSid: z.string().openapi({
      description:
        'The Account SID of the Twilio-compatible API (`/2010-04-01/Accounts/{AccountSid}/...`); its auth token comes from `POST /v1/tenant/twilio-auth-token`',
      example: 'AC3f2a9c1d7e6b5a4f3e2d1c0b9a8f7e6d',
    }),
    createdAt: timestamp,
  })
  .openapi('Tenant');

export function tenantJson(tenant: identityV1.Tenant | undefined): z.infer<typeof tenantSchema> {
  if (!tenant) throw new Error('service answered without a tenant');
  return {
    id: tenant.id,
    name: tenant.name,
    tenancyMode: modeNames[tenant.tenancyMode] ?? 'pooled',
    jurisdiction: jurisdictionNames[tenant.jurisdiction] ?? 'other',
    status: statusNames[tenant.status] ?? 'active',
    minimumAge: tenant.minimumAge,
    realm: tenant.realm,
    twilioAccountSid: tenant.twilioAccountSid,
    createdAt: iso(tenant.createdAt) ?? '',
  };
}

export const scopeEnum = z.enum(['*', ...scopes]);

/**
 * A scope a new API key may carry. The document offers what a tenant's key may be given; the platform
 * operator's own tenant may also give `platform:admin` (identity refuses it to every other tenant).
 */
export const apiKeyScope = z
  .string()
  .refine((scope) => scopeEnum.safeParse(scope).success || scope === 'platform:admin', {
    message: `one of ${scopeEnum.options.join(', ')}`,
  })
  .openapi({
    type: 'string',
    enum: scopeEnum.options,
    description:
      "`*` for every tenant scope. Only scopes the caller holds can be given. (The platform operator's own tenant may also give `platform:admin`; no other tenant can.)",
  });
export const roleEnum = z.enum(roles as [string, ...string[]]);

export const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ example: 'prl_3fK9aXbQ2mPz' }),
    scopes: z.array(z.string()),
    createdAt: timestamp,
    expiresAt: timestamp.optional(),
    lastUsedAt: timestamp.optional(),
    revokedAt: timestamp.optional(),
  })
  .openapi('ApiKey');

export function apiKeyJson(key: identityV1.ApiKey | undefined): z.infer<typeof apiKeySchema> {
  if (!key) throw new Error('service answered without a key');
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createdAt: iso(key.createdAt) ?? '',
    expiresAt: iso(key.expiresAt),
    lastUsedAt: iso(key.lastUsedAt),
    revokedAt: iso(key.revokedAt),
  };
}

/** The kit's profile schemas, made after `./zod` set up `.openapi()`. */
export const profile = profileSchemas();

export const addressSchema = profile.address
  .extend({
    street: profile.address.shape.street.openapi({ example: '12 St James Square' }),
    city: profile.address.shape.city.openapi({ example: 'London' }),
    postalCode: profile.address.shape.postalCode.openapi({ example: 'SW1Y 4LB' }),
    country: profile.address.shape.country.openapi({ description: 'ISO 3166-1 alpha-2', example: 'GB' }),
  })
  .strict()
  .openapi('PostalAddress');

export const accountSchema = z
  .object({
    id: z.uuid(),
    fullName: z.string(),
    email: z.string(),
    phone: z.string().nullable(),
    companyName: z.string().nullable(),
    companyLocation: z.string().nullable(),
    companyUrl: z.string().nullable(),
    address: addressSchema.nullable(),
    timeZone: z.string().nullable(),
    outgoingCallerId: z.string().nullable(),
    dateOfBirth: z.string().nullable(),
    ageAttested: z.boolean(),
    roles: z.array(z.string()),
    status: z.enum(['active', 'closed']),
    signupIp: z.string(),
    signupUserAgent: z.string(),
    lastLoginIp: z.string().nullable(),
    lastLoginUserAgent: z.string().nullable(),
    lastLoginAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    closedAt: timestamp.nullable(),
  })
  .openapi('Account');

const orNull = (value: string) => (value === '' ? null : value);

export function accountJson(account: identityV1.Account | undefined): z.infer<typeof accountSchema> {
  if (!account) throw new Error('service answered without an account');
  return {
    id: account.id,
    fullName: account.fullName,
    email: account.email,
    phone: orNull(account.phone),
    companyName: orNull(account.companyName),
    companyLocation: orNull(account.companyLocation),
    companyUrl: orNull(account.companyUrl),
    address: account.address ?? null,
    timeZone: orNull(account.timeZone),
    outgoingCallerId: orNull(account.outgoingCallerId),
    dateOfBirth: orNull(account.dateOfBirth),
    ageAttested: account.ageAttested,
    roles: account.roles,
    status: account.status === identityV1.AccountStatus.ACCOUNT_STATUS_CLOSED ? 'closed' : 'active',
    signupIp: account.signupIp,
    signupUserAgent: account.signupUserAgent,
    lastLoginIp: orNull(account.lastLoginIp),
    lastLoginUserAgent: orNull(account.lastLoginUserAgent),
    lastLoginAt: iso(account.lastLoginAt) ?? null,
    createdAt: iso(account.createdAt) ?? '',
    updatedAt: iso(account.updatedAt) ?? '',
    closedAt: iso(account.closedAt) ?? null,
  };
}

const field = profile.fields;

/**
 * The profile fields a sign-up or a PATCH may carry; in a PATCH `null` clears an optional field. Types and
 * lengths are the kit's (`profileSchemas`), shared with rectification requests.
 */
export const profileFields = {
  fullName: field.fullName.optional().openapi({ example: 'Ada Lovelace' }),
  email: field.email.optional().openapi({ example: 'ada@example.com' }),
  phone: field.phone
    .nullable()
    .optional()
    .openapi({ description: `Cell number, E.164 (e.g. ${PHONE_EXAMPLE})`, example: PHONE_EXAMPLE }),
  companyName: field.companyName.nullable().optional().openapi({ example: 'Analytical Engines Ltd' }),
  companyLocation: field.companyLocation.nullable().optional().openapi({ example: 'London' }),
  companyUrl: field.companyUrl.nullable().optional().openapi({ example: 'https://engines.example.com' }),
  address: addressSchema.nullable().optional(),
  timeZone: field.timeZone
    .nullable()
    .optional()
    .openapi({ description: 'IANA time zone, e.g. Europe/London', example: 'Europe/London' }),
  outgoingCallerId: field.outgoingCallerId
    .nullable()
    .optional()
    .openapi({ description: 'E.164, e.g. +442079460958', example: '+442079460958' }),
  dateOfBirth: field.dateOfBirth
    .optional()
    .openapi({ description: 'YYYY-MM-DD; or give ageAttested instead', example: '1990-05-01' }),
  ageAttested: z
    .boolean()
    .optional()
    .openapi({ description: "Attests the holder is at least the tenant's minimum age" }),
};

type ProfileBody = { [K in keyof typeof profileFields]?: z.infer<(typeof profileFields)[K]> };

/** JSON profile → the contract's AccountProfile (null → '' which clears; absent stays absent). */
export function profileMessage(body: ProfileBody): identityV1.AccountProfile {
  const text = (value: string | null | undefined) => (value === undefined ? undefined : (value ?? ''));
  return {
    fullName: body.fullName,
    email: body.email,
    phone: text(body.phone),
    companyName: text(body.companyName),
    companyLocation: text(body.companyLocation),
    companyUrl: text(body.companyUrl),
    address: body.address ?? undefined,
    clearAddress: body.address === null,
    timeZone: text(body.timeZone),
    outgoingCallerId: text(body.outgoingCallerId),
    dateOfBirth: body.dateOfBirth,
    ageAttested: body.ageAttested,
  };
}

export const oauthClientSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    clientId: z.string(),
    scopes: z.array(z.string()),
    tokenUrl: z.string().openapi({ description: 'Token endpoint for the client-credentials grant' }),
    createdAt: timestamp,
    revokedAt: timestamp.optional(),
  })
  .openapi('OAuthClient');

export function oauthClientJson(
  client: identityV1.OAuthClient | undefined,
): z.infer<typeof oauthClientSchema> {
  if (!client) throw new Error('service answered without a client');
  return {
    id: client.id,
    name: client.name,
    clientId: client.clientId,
    scopes: client.scopes,
    tokenUrl: client.tokenUrl,
    createdAt: iso(client.createdAt) ?? '',
    revokedAt: iso(client.revokedAt),
  };
}
