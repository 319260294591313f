-- Call detail records (issue 12): the carrier posts one per call its numbers carried; messaging keeps them
-- as it keeps message metadata (monthly partitions, the same retention), with references to recordings
-- and voicemail the carrier holds when the tenant allows them.

-- One row per call, partitioned by month on started_at (the kit's helper creates the months:
-- services/kit/PARTITIONS.md), so retention drops whole months. The id is a UUIDv7 whose timestamp is
-- started_at, so a lookup by id alone reaches one partition.
create table calls (
  tenant_id text not null,
  id uuid not null,
  account_id text,
  -- The carrier's call id (the same on every resend of its record; carrier_calls deduplicates on it).
  carrier_call_id text not null,
  direction text not null check (direction in ('inbound', 'outbound')),
  from_e164 text not null,
  to_e164 text not null,
  -- Inbound: the number's forwarding target the call was passed on to.
  forwarded_to text,
  -- The caller ID shown to whoever was rung; inbound, the one the outside network delivered.
  caller_id_presented text,
  external_caller_id text,
  started_at timestamptz not null,
  answered_at timestamptz,
  ended_at timestamptz not null check (ended_at >= started_at),
  duration_seconds integer not null check (duration_seconds between 0 and 86400),
  disposition text not null check (disposition in ('answered', 'busy', 'no_answer', 'failed')),
  -- App-originated calls: the client's address.
  client_ip inet,
  recorded_at timestamptz not null default now(),
  primary key (tenant_id, started_at, id)
) partition by range (started_at);

create table calls_default partition of calls default;

create index calls_tenant_recent on calls (tenant_id, started_at desc, id desc);

alter table calls enable row level security;
alter table calls force row level security;
create policy tenant_isolation on calls
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

-- References to recordings and voicemail the carrier holds (never the media), in the partition of their
-- call (same key, dropped with it). Kept only when the tenant allows recordings (messaging_settings).
create table call_recordings (
  tenant_id text not null,
  call_id uuid not null,
  call_started_at timestamptz not null,
  id uuid not null,
  carrier_recording_id text not null,
  kind text not null check (kind in ('recording', 'voicemail')),
  url text not null,
  duration_seconds integer not null check (duration_seconds between 0 and 86400),
  channels integer not null check (channels in (1, 2)),
  consent boolean not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, call_started_at, id)
) partition by range (call_started_at);

create table call_recordings_default partition of call_recordings default;

create index call_recordings_call on call_recordings (tenant_id, call_id);

alter table call_recordings enable row level security;
alter table call_recordings force row level security;
create policy tenant_isolation on call_recordings
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

-- The carrier's id of every call recorded, across tenants: carriers resend a record, and the copy must
-- find the first whatever the tenant. A tenant writes and reads only its own rows (a conflicting insert is
-- still refused); ids only, nothing personal. Resends come within days: housekeeping forgets ids older
-- than 30 days, of every tenant.
create table carrier_calls (
  carrier_call_id text primary key,
  tenant_id text not null,
  call_id uuid not null,
  received_at timestamptz not null default now()
);
create index carrier_calls_age on carrier_calls (received_at);
alter table carrier_calls enable row level security;
alter table carrier_calls force row level security;
create policy tenant_isolation on carrier_calls
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
-- (A delete that reads the rows needs them visible: only the expired ones are, to housekeeping.)
create policy carrier_calls_expire on carrier_calls for delete
  using (received_at < now() - interval '30 days');
create policy carrier_calls_expired_read on carrier_calls for select
  using (received_at < now() - interval '30 days');

-- Each tenant's recording policy: references not kept unless allowed; when kept, only with the carrier's
-- consent flag unless the tenant says otherwise.
alter table messaging_settings
  add column recordings_allowed boolean not null default false,
  add column recording_consent_required boolean not null default true;
