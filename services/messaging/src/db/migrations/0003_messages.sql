-- The send path over SMPP (issue 11): messages become monthly partitions holding everything a send needs,
-- with their status history and the carrier's message ids. The shell's table of 0001 held no real traffic
-- (nothing wrote to it), so it is replaced rather than converted.

drop table messages;

-- One row per message. Partitioned by month on created_at (the kit's helper creates the months: see
-- services/kit/PARTITIONS.md), so retention drops whole months. The id is a UUIDv7 whose timestamp is
-- created_at, so a lookup by id alone still reaches one partition.
create table messages (
  tenant_id text not null,
  id uuid not null,
  account_id text,
  direction text not null check (direction in ('outbound', 'inbound')),
  from_e164 text not null,
  to_e164 text not null,
  -- The text; null when none was sent, or once content retention has removed it (metadata stays).
  body text,
  media_urls text[] not null default '{}' check (cardinality(media_urls) <= 10),
  encoding text not null check (encoding in ('GSM-7', 'UCS-2')),
  segments integer not null check (segments between 0 and 100),
  status text not null
    check (status in ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'expired', 'received')),
  error_code text,
  -- The SMSC's message id of each part, in part order, once the carrier accepted them.
  carrier_message_ids text[] not null default '{}',
  status_callback text,
  -- long_code, toll_free or short_code: the sender's throughput class when it was sent.
  sender_class text,
  -- The slot its sender's pacing gave it (null until the send job reserved one).
  send_at timestamptz,
  expires_at timestamptz not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, created_at, id)
) partition by range (created_at);

-- Catches rows for a month that has no partition yet (ensurePartitions moves them out when it creates it).
create table messages_default partition of messages default;

create index messages_tenant_recent on messages (tenant_id, created_at desc, id desc);

alter table messages enable row level security;
alter table messages force row level security;
create policy tenant_isolation on messages
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

-- Every status a message went through, in the partition of its message (same key, dropped with it).
create table message_status_history (
  tenant_id text not null,
  message_id uuid not null,
  message_created_at timestamptz not null,
  seq integer not null,
  status text not null,
  error_code text,
  at timestamptz not null default clock_timestamp(),
  primary key (tenant_id, message_created_at, message_id, seq)
) partition by range (message_created_at);

create table message_status_history_default partition of message_status_history default;

alter table message_status_history enable row level security;
alter table message_status_history force row level security;
create policy tenant_isolation on message_status_history
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

-- The SMSC's message id of each part sent, across tenants: a delivery receipt (deliver_sm) names only
-- that id. Everyone may read it to find the message; a tenant writes only its own rows. Ids only, nothing
-- personal. `state` is the part's receipt outcome (null until one came).
create table carrier_parts (
  carrier_message_id text primary key,
  tenant_id text not null,
  message_id uuid not null,
  message_created_at timestamptz not null,
  part integer not null check (part >= 1),
  state text check (state in ('delivered', 'undelivered', 'expired')),
  error_code text,
  created_at timestamptz not null default now()
);
create index carrier_parts_message on carrier_parts (tenant_id, message_id);
create index carrier_parts_age on carrier_parts (created_at);
alter table carrier_parts enable row level security;
alter table carrier_parts force row level security;
create policy carrier_parts_read on carrier_parts for select using (true);
create policy carrier_parts_write on carrier_parts for all
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
-- Receipts come within days of a send: housekeeping forgets parts older than 30 days, of every tenant.
create policy carrier_parts_expire on carrier_parts for delete
  using (created_at < now() - interval '30 days');

-- A receipt that came before its message was recorded as sent (the SMSC can answer and send the receipt
-- before the send's transaction commits): kept here and applied when the message is marked sent. Ids and
-- outcome only; rows older than a day are deleted by housekeeping.
create table early_receipts (
  carrier_message_id text primary key,
  state text not null check (state in ('delivered', 'undelivered', 'expired')),
  error_code text,
  received_at timestamptz not null default now()
);

-- Each sender number's pacing: when it is next free to send (its throughput class in segments per second).
-- A send reserves the sender's next slot here and is sent then, so a burst from one number queues behind
-- itself, never in front of another number's (another tenant's) messages.
create table sender_pacing (
  tenant_id text not null,
  from_e164 text not null,
  next_free_at timestamptz not null,
  primary key (tenant_id, from_e164)
);
alter table sender_pacing enable row level security;
alter table sender_pacing force row level security;
create policy tenant_isolation on sender_pacing
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
