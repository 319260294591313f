-- What every privacy participant keeps for the protocol: the receipt of each task it carried out (so a
-- repeated task returns the same receipt and changes nothing), the tombstones of erased subjects (salted
-- hashes of their identifiers, so a late event cannot bring their data back), and restricted subjects.

create table kit_privacy_receipts (
  tenant_id text not null,
  request_id text not null,
  action integer not null,
  receipt bytea not null,
  completed_at timestamptz not null default now(),
  primary key (tenant_id, request_id, action)
);

create table kit_privacy_tombstones (
  tenant_id text not null,
  identifier_hash text not null,
  erased_at timestamptz not null default now(),
  primary key (tenant_id, identifier_hash)
);

create table kit_privacy_restrictions (
  tenant_id text not null,
  identifier_hash text not null,
  restricted_at timestamptz not null default now(),
  primary key (tenant_id, identifier_hash)
);

alter table kit_privacy_receipts enable row level security;
alter table kit_privacy_receipts force row level security;
create policy tenant_isolation on kit_privacy_receipts
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

alter table kit_privacy_tombstones enable row level security;
alter table kit_privacy_tombstones force row level security;
create policy tenant_isolation on kit_privacy_tombstones
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

alter table kit_privacy_restrictions enable row level security;
alter table kit_privacy_restrictions force row level security;
create policy tenant_isolation on kit_privacy_restrictions
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
