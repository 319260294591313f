-- A platform admin's per-tenant rate limits, replacing the configured defaults for that tenant; a null
-- column keeps the default. Read by every gateway replica through a short cache.

create table tenant_rate_limits (
  tenant_id text primary key,
  per_principal integer check (per_principal >= 0),
  per_tenant integer check (per_tenant >= 0),
  updated_by text not null,
  updated_at timestamptz not null default now()
);

alter table tenant_rate_limits enable row level security;
alter table tenant_rate_limits force row level security;
create policy tenant_isolation on tenant_rate_limits
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
