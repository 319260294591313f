-- Message metadata (time, direction, from, to, segments, status). Content is not kept by default.

create table messages (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null,
  direction text not null check (direction in ('outbound', 'inbound')),
  from_e164 text not null,
  to_e164 text not null,
  segments integer not null default 1 check (segments between 1 and 100),
  status text not null default 'queued',
  created_at timestamptz not null default now()
);

create index messages_tenant_recent on messages (tenant_id, created_at desc, id desc);

alter table messages enable row level security;
alter table messages force row level security;
create policy tenant_isolation on messages
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
