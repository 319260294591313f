-- Who called what, for security and support. Holds IP addresses and user agents: personal data,
-- kept 30 days by default.

create table access_log (
  id bigserial primary key,
  tenant_id text not null,
  principal text not null,
  method text not null,
  route text not null,
  status integer not null,
  duration_ms double precision not null,
  ip text not null,
  user_agent text not null,
  occurred_at timestamptz not null default now()
);

create index access_log_tenant_time on access_log (tenant_id, occurred_at desc);
create index access_log_time on access_log (occurred_at);

alter table access_log enable row level security;
alter table access_log force row level security;
create policy tenant_isolation on access_log
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
