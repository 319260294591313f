-- Account plans: a tenant's own price lists for its accounts (sub-accounts), versioned like platform plans,
-- and the second rating of a sub-account's usage at the tenant's price.

create table account_plans (
  tenant_id text not null,
  id text not null check (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text not null check (length(name) between 1 and 100),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);

-- Prices never change in place: a new version applies from its effective time on (as billing_plan_versions).
create table account_plan_versions (
  tenant_id text not null,
  plan_id text not null,
  version integer not null check (version > 0),
  effective_from timestamptz not null,
  -- The PlanPrices message in its proto3 JSON form (decimal strings), checked by the service.
  prices jsonb not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, plan_id, version),
  unique (tenant_id, plan_id, effective_from),
  foreign key (tenant_id, plan_id) references account_plans (tenant_id, id)
);

-- Which account plan a sub-account is on (no row: the sub-account is not resold, its usage is the tenant's).
create table account_plan_assignments (
  tenant_id text not null,
  account_id text not null check (length(account_id) between 1 and 200),
  plan_id text not null,
  assigned_at timestamptz not null default now(),
  primary key (tenant_id, account_id),
  foreign key (tenant_id, plan_id) references account_plans (tenant_id, id)
);

do $$
declare t text;
begin
  foreach t in array array['account_plans', 'account_plan_versions', 'account_plan_assignments'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy tenant_isolation on %I
      using (tenant_id = current_setting('app.tenant_id', true))
      with check (tenant_id = current_setting('app.tenant_id', true))$p$, t);
  end loop;
end $$;

-- Who sells the line: 'platform' (what the tenant owes Parley, at its plan) or 'tenant' (what a resold
-- sub-account owes the tenant, at the account plan). One line per seller and source: the same event is
-- rated once at each level, never twice at either.
alter table usage_records
  add column seller text not null default 'platform' check (seller in ('platform', 'tenant'));
alter table usage_records drop constraint usage_records_source_id_key;
alter table usage_records add constraint usage_records_seller_source unique (seller, source_id);
create index usage_records_resold on usage_records (tenant_id, billing_period, account_id) where seller = 'tenant';
