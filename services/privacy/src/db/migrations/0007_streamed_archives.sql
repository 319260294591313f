-- Exports at scale. A participant's export arrives in pages: each page of one category is one
-- export_records row (its records sealed together as a JSON array, `records` of them), written with one
-- insert. The archive is built as a stream and stored in sealed chunks of archive_chunks, each bound by
-- its associated data to its request and position; `archives` then says how many chunks and bytes make it
-- up. Archives sealed whole before this (archives.sealed) stay readable.

alter table export_records add column records integer not null default 1;
-- The archive reads one participant's category at a time, in the order the pages came.
create index export_records_by_category on export_records (request_id, participant, category, seq);

alter table archives alter column sealed drop not null;
alter table archives add column chunks integer not null default 0;
alter table archives add column bytes bigint not null default 0;

create table archive_chunks (
  tenant_id text not null,
  request_id uuid not null references archives (request_id) on delete cascade,
  seq integer not null,
  sealed bytea not null,
  primary key (request_id, seq)
);

alter table archive_chunks enable row level security;
alter table archive_chunks force row level security;
create policy tenant_isolation on archive_chunks
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
