-- The kit's tables: the transactional outbox (events written with the state change that caused them)
-- and the inbox (event ids a consumer has applied, written with the effect).

create table kit_outbox (
  seq bigserial primary key,
  event_id uuid not null unique,
  event_type text not null,
  tenant_id text not null default '',
  envelope bytea not null,
  created_at timestamptz not null default now(),
  published_at timestamptz,
  attempts integer not null default 0,
  last_error text
);

create index kit_outbox_unpublished on kit_outbox (seq) where published_at is null;

create function kit_outbox_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('kit_outbox', '');
  return null;
end;
$$;

create trigger kit_outbox_inserted after insert on kit_outbox
  for each statement execute function kit_outbox_notify();

create table kit_inbox (
  consumer text not null,
  event_id uuid not null,
  handled_at timestamptz not null default now(),
  primary key (consumer, event_id)
);

create table kit_dead_letters (
  consumer text not null,
  event_id text not null,
  event_type text not null,
  tenant_id text not null default '',
  envelope bytea not null,
  error text not null,
  deliveries integer not null,
  failed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);
