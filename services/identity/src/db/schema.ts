import {
  boolean,
  customType,
  date,
  integer,
  jsonb,
  pgSchema,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Address } from '../domain/account';

export const tenants = pgTable('tenants', {
  id: text('tenant_id').primaryKey(),
  name: text('name').notNull(),
  tenancyMode: text('tenancy_mode').notNull(),
  jurisdiction: text('jurisdiction').notNull(),
  status: text('status').notNull(),
  minimumAge: integer('minimum_age').notNull(),
  realm: text('realm').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  closedAt: timestamp('closed_at', { withTimezone: true }),
});

export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  lookupId: text('lookup_id').notNull(),
  name: text('name').notNull(),
  scopes: text('scopes').array().notNull(),
  secretHash: text('secret_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

export const apiKeyLookup = pgTable('api_key_lookup', {
  lookupId: text('lookup_id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  /** HMAC-SHA-256 of the whole key under API_KEY_PEPPER; null only for a key issued before, not yet used. */
  secretDigest: bytea('secret_digest'),
});

export const accounts = pgTable('accounts', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  fullName: text('full_name').notNull(),
  email: text('email').notNull(),
  phone: text('phone'),
  companyName: text('company_name'),
  companyLocation: text('company_location'),
  companyUrl: text('company_url'),
  address: jsonb('address').$type<Address>(),
  timeZone: text('time_zone'),
  outgoingCallerId: text('outgoing_caller_id'),
  dateOfBirth: date('date_of_birth', { mode: 'string' }),
  ageAttested: boolean('age_attested').notNull(),
  roles: text('roles').array().notNull(),
  status: text('status').notNull(),
  idpUserId: text('idp_user_id'),
  signupIp: text('signup_ip').notNull(),
  signupUserAgent: text('signup_user_agent').notNull(),
  lastLoginIp: text('last_login_ip'),
  lastLoginUserAgent: text('last_login_user_agent'),
  lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  closedAt: timestamp('closed_at', { withTimezone: true }),
});

export const oauthClients = pgTable('oauth_clients', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  name: text('name').notNull(),
  clientId: text('client_id').notNull(),
  idpClientId: text('idp_client_id').notNull(),
  scopes: text('scopes').array().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

export const devIdp = pgSchema('dev_idp');

export const devSigningKeys = devIdp.table('signing_keys', {
  kid: text('kid').primaryKey(),
  privateJwk: jsonb('private_jwk').$type<Record<string, unknown>>().notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const devUsers = devIdp.table('users', {
  id: uuid('id').primaryKey(),
  realm: text('realm').notNull(),
  username: text('username').notNull(),
  tenant: text('tenant').notNull(),
  fullName: text('full_name').notNull(),
  passwordHash: text('password_hash'),
  roles: text('roles').array().notNull(),
  enabled: boolean('enabled').notNull(),
});

export const devClients = devIdp.table('clients', {
  id: uuid('id').primaryKey(),
  realm: text('realm').notNull(),
  clientId: text('client_id').notNull(),
  tenant: text('tenant').notNull(),
  secretHash: text('secret_hash').notNull(),
  scopes: text('scopes').array().notNull(),
});

export const devRealms = devIdp.table('realms', {
  name: text('name').primaryKey(),
  organizations: jsonb('organizations').$type<{ alias: string; name: string }[]>().notNull(),
});

export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type OAuthClientRow = typeof oauthClients.$inferSelect;

export const twilioAuthTokens = pgTable('twilio_auth_tokens', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  sealedToken: bytea('sealed_token').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
});

export const twilioAccountLookup = pgTable('twilio_account_lookup', {
  accountSid: text('account_sid').primaryKey(),
  tenantId: text('tenant_id').notNull(),
});
