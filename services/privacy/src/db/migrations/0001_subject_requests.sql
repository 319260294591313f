-- Data-subject requests and the legal clock each one runs against.

create table subject_requests (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null,
  type text not null check (type in ('access', 'portability', 'rectification', 'erasure', 'restriction', 'objection', 'consent_withdrawal', 'opt_out_sale')),
  state text not null default 'received' check (state in ('received', 'verifying', 'verified', 'in_progress', 'completed', 'partially_completed', 'denied', 'cancelled')),
  received_at timestamptz not null default now(),
  due_at timestamptz not null
);

create index subject_requests_tenant_recent on subject_requests (tenant_id, received_at desc, id desc);

alter table subject_requests enable row level security;
alter table subject_requests force row level security;
create policy tenant_isolation on subject_requests
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
