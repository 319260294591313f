-- Tenants and their API keys. Every tenant-owned table carries tenant_id and a row-level-security
-- policy keyed on the transaction's app.tenant_id; FORCE makes the policy bind the owning role too.

create table tenants (
  tenant_id text primary key check (tenant_id ~ '^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$'),
  name text not null check (length(name) between 1 and 200),
  tenancy_mode text not null check (tenancy_mode in ('pooled', 'dedicated')),
  jurisdiction text not null check (jurisdiction in ('gdpr', 'uk_gdpr', 'ccpa', 'other')),
  status text not null default 'active' check (status in ('active', 'suspended', 'closed')),
  created_at timestamptz not null default now()
);

alter table tenants enable row level security;
alter table tenants force row level security;
create policy tenant_isolation on tenants
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

create table api_keys (
  id uuid primary key,
  tenant_id text not null references tenants (tenant_id),
  lookup_id text not null unique,
  name text not null check (length(name) between 1 and 100),
  scopes text[] not null check (cardinality(scopes) > 0),
  secret_hash text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);

create index api_keys_tenant on api_keys (tenant_id, created_at desc);

alter table api_keys enable row level security;
alter table api_keys force row level security;
create policy tenant_isolation on api_keys
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

-- A presented key names only its lookup id; this index tells which tenant to switch to before the key
-- itself is read under that tenant's policy. It holds no secret and no personal data.
create table api_key_lookup (
  lookup_id text primary key,
  tenant_id text not null
);
