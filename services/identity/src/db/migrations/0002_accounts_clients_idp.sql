-- Accounts (a tenant's end users, who may log in), partner OAuth clients, tenant provisioning state,
-- and the store of the embedded identity provider that stands in for Keycloak in `npm start`.

alter table tenants add column minimum_age integer not null default 18 check (minimum_age between 13 and 21);
alter table tenants add column realm text not null default 'parley';
alter table tenants drop constraint tenants_status_check;
alter table tenants add constraint tenants_status_check
  check (status in ('provisioning', 'active', 'suspended', 'closed'));

-- The platform's own tenant: its keys carry platform:admin and operate the other tenants.
select set_config('app.tenant_id', 'platform', true);
insert into tenants (tenant_id, name, tenancy_mode, jurisdiction, status)
  values ('platform', 'Parley platform', 'pooled', 'other', 'active');

create table accounts (
  id uuid primary key,
  tenant_id text not null references tenants (tenant_id),
  full_name text not null,
  email text not null,
  phone text,
  company_name text,
  company_location text,
  company_url text,
  address jsonb,
  time_zone text,
  outgoing_caller_id text,
  date_of_birth date,
  age_attested boolean not null default false,
  roles text[] not null default '{member}',
  status text not null default 'active' check (status in ('active', 'closed')),
  idp_user_id text,
  signup_ip text not null default '',
  signup_user_agent text not null default '',
  last_login_ip text,
  last_login_user_agent text,
  last_login_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  closed_at timestamptz,
  check (date_of_birth is not null or age_attested)
);

create unique index accounts_email on accounts (tenant_id, lower(email));
create unique index accounts_idp_user on accounts (tenant_id, idp_user_id);
create index accounts_recent on accounts (tenant_id, created_at desc, id desc);

alter table accounts enable row level security;
alter table accounts force row level security;
create policy tenant_isolation on accounts
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

create table oauth_clients (
  id uuid primary key,
  tenant_id text not null references tenants (tenant_id),
  name text not null check (length(name) between 1 and 100),
  client_id text not null unique,
  idp_client_id text not null,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

alter table oauth_clients enable row level security;
alter table oauth_clients force row level security;
create policy tenant_isolation on oauth_clients
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

-- The embedded identity provider keeps what Keycloak would keep, in a schema of its own: it is the
-- identity provider's store, not Parley's data, and it is used only when IDENTITY_PROVIDER=embedded.
create schema dev_idp;

create table dev_idp.signing_keys (
  kid text primary key,
  private_jwk jsonb not null,
  public_jwk jsonb not null,
  created_at timestamptz not null default now()
);

create table dev_idp.users (
  id uuid primary key,
  realm text not null,
  username text not null,
  tenant text not null,
  full_name text not null,
  password_hash text,
  roles text[] not null,
  enabled boolean not null default true,
  unique (realm, username)
);

create table dev_idp.clients (
  id uuid primary key,
  realm text not null,
  client_id text not null unique,
  tenant text not null,
  secret_hash text not null,
  scopes text[] not null
);

create table dev_idp.realms (
  name text primary key,
  organizations jsonb not null default '[]'
);

-- A platform admin (the platform tenant) reads every tenant; writes stay walled.
create policy platform_reads_tenants on tenants for select
  using (current_setting('app.tenant_id', true) = 'platform');
