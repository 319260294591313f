-- What a subject objected to, withdrew consent for, or opted out of (sale/share): one row per subject
-- identifier hash and consent purpose, so a participant checks before using data for that purpose.

create table kit_privacy_objections (
  tenant_id text not null,
  identifier_hash text not null,
  purpose text not null,
  request_id text not null,
  objected_at timestamptz not null default now(),
  primary key (tenant_id, identifier_hash, purpose)
);

alter table kit_privacy_objections enable row level security;
alter table kit_privacy_objections force row level security;
create policy tenant_isolation on kit_privacy_objections
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
