-- The numbers each tenant manages. A number belongs to at most one tenant at a time.

create table numbers (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null,
  e164 text not null unique check (e164 ~ '^\+[1-9][0-9]{6,14}$'),
  country text not null check (country ~ '^[A-Z]{2}$'),
  assigned_at timestamptz not null default now()
);

create index numbers_tenant_recent on numbers (tenant_id, assigned_at desc, id desc);

alter table numbers enable row level security;
alter table numbers force row level security;
create policy tenant_isolation on numbers
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
