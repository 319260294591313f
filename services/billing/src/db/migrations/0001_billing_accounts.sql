-- One prepaid billing account per tenant, opened when identity announces the tenant.

create table billing_accounts (
  tenant_id text primary key,
  currency text not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  balance_minor bigint not null default 0,
  opened_at timestamptz not null default now()
);

alter table billing_accounts enable row level security;
alter table billing_accounts force row level security;
create policy tenant_isolation on billing_accounts
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
