-- Traffic data a tenant's law obliges it to keep (issue 12, "anonymise-and-keep"): a tenant may name the
-- law and its period; a subject's call records within that period are then anonymised on erasure and kept
-- here until the period ends, instead of deleted.

-- The obligation: both set, or neither (none: erasure deletes call records).
alter table messaging_settings
  add column traffic_data_retention_days integer check (traffic_data_retention_days between 1 and 3650),
  add column traffic_data_retention_law text check (length(traffic_data_retention_law) between 1 and 200),
  add constraint traffic_data_retention_whole
    check ((traffic_data_retention_days is null) = (traffic_data_retention_law is null));

-- Call records kept after their subject's erasure, out of the monthly partitions of `calls` (whole months
-- of those are dropped by the metadata retention, long before a law's years end). The columns are those of
-- `calls`; an identifier of an erased subject holds the keyed subject hash of it (services/kit
-- PRIVACY.md), named in `anonymised_fields`; the others (the tenant's number, another party) are as
-- recorded. Few rows: only erased subjects' calls, and only within the law's period.
create table kept_calls (
  tenant_id text not null,
  id uuid not null,
  account_id text,
  carrier_call_id text not null,
  direction text not null check (direction in ('inbound', 'outbound')),
  from_e164 text not null,
  to_e164 text not null,
  forwarded_to text,
  caller_id_presented text,
  external_caller_id text,
  started_at timestamptz not null,
  answered_at timestamptz,
  ended_at timestamptz not null,
  duration_seconds integer not null,
  disposition text not null,
  -- The client's address, or the keyed hash of it: text, not inet.
  client_ip text,
  recorded_at timestamptz not null,
  -- Which of from_e164, to_e164, forwarded_to, caller_id_presented, external_caller_id, account_id and
  -- client_ip hold a keyed hash.
  anonymised_fields text[] not null,
  -- The law it is kept under, and until when (the call's start plus the law's period).
  kept_basis text not null,
  kept_until timestamptz not null,
  anonymised_at timestamptz not null default now(),
  primary key (tenant_id, id)
);

create index kept_calls_until on kept_calls (kept_until);

alter table kept_calls enable row level security;
alter table kept_calls force row level security;
create policy tenant_isolation on kept_calls
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
-- The platform's daily metadata retention deletes every tenant's kept records whose period has ended (a
-- delete that reads the rows needs them visible to it). Nothing else reads them as the platform.
create policy platform_reads_kept_calls on kept_calls for select
  using (current_setting('app.tenant_id', true) = 'platform');
create policy platform_expires_kept_calls on kept_calls for delete
  using (current_setting('app.tenant_id', true) = 'platform');
