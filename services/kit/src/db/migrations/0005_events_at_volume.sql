-- Events at volume (services/kit/README.md).
-- 1. No NOTIFY per insert: a committing transaction that carries a NOTIFY takes a cluster-wide lock, so
--    every writer queued on it. The relay is woken in-process after commit and polls otherwise.
drop trigger if exists kit_outbox_inserted on kit_outbox;
drop function if exists kit_outbox_notify();

-- 2. Published rows are deleted at once (JetStream is the log), so every row in the outbox is unpublished
--    and the primary key on seq is the unpublished-rows index.
delete from kit_outbox where published_at is not null;
alter table kit_outbox drop column published_at;
alter table kit_outbox add column aggregate_key text not null default '';
alter table kit_outbox add column subject_hashes text[] not null default '{}';

-- 3. Per-aggregate versions, assigned at enqueue under this row's lock: a second transaction about the
--    same type and key waits for the first to commit, so version order is commit order. A row silent for
--    longer than the stream keeps events is forgotten; the next event starts a new epoch at version 1.
create table kit_outbox_versions (
  event_type text not null,
  aggregate_key text not null,
  epoch bigint not null,
  version bigint not null,
  touched_at timestamptz not null default now(),
  primary key (event_type, aggregate_key)
);
create index kit_outbox_versions_touched on kit_outbox_versions (touched_at);

-- 4. What each consumer last applied per aggregate, to apply events of one key in version order.
create table kit_inbox_versions (
  consumer text not null,
  aggregate_key text not null,
  epoch bigint not null,
  version bigint not null,
  touched_at timestamptz not null default now(),
  primary key (consumer, aggregate_key)
);
create index kit_inbox_versions_touched on kit_inbox_versions (touched_at);
create index kit_inbox_handled on kit_inbox (handled_at);

-- 5. One dead-letter table for parked consumer events and parked outbox rows. It holds personal data:
--    kept DEAD_LETTER_RETENTION_DAYS at most, and found by subject hash for erasure.
create table kit_parked_events (
  id uuid primary key,
  source text not null check (source in ('consumer', 'outbox')),
  consumer text not null default '',
  event_id uuid not null,
  event_type text not null,
  tenant_id text not null default '',
  aggregate_key text not null default '',
  subject_hashes text[] not null default '{}',
  envelope bytea not null,
  reason text not null,
  error text not null,
  attempts integer not null,
  parked_at timestamptz not null default now(),
  unique (source, consumer, event_id)
);
create index kit_parked_events_parked on kit_parked_events (parked_at);
create index kit_parked_events_tenant on kit_parked_events (tenant_id, parked_at);
create index kit_parked_events_subjects on kit_parked_events using gin (subject_hashes);

insert into kit_parked_events (id, source, consumer, event_id, event_type, tenant_id, envelope, reason, error, attempts, parked_at)
  select gen_random_uuid(), 'consumer', consumer, event_id::uuid, event_type, tenant_id, envelope, 'RETRIES_EXHAUSTED',
         error, deliveries, failed_at
    from kit_dead_letters
   where event_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
drop table kit_dead_letters;
alter table kit_parked_events rename to kit_dead_letters;
alter index kit_parked_events_parked rename to kit_dead_letters_parked;
alter index kit_parked_events_tenant rename to kit_dead_letters_tenant;
alter index kit_parked_events_subjects rename to kit_dead_letters_subjects;
