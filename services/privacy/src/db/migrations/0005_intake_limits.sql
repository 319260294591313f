-- Daily counters that cap what one requester, or requests about one subject, may cost without
-- privacy:write: requests filed, verification codes issued, code guesses. One row per (counter, key, UTC
-- day), incremented in the transaction that files the request or evaluates the guess, so the cap holds
-- across replicas and a refused request counts nothing. Keys are a requester's principal or a subject's
-- keyed hash (SUBJECT_HASH_KEY), never an identifier itself. Rows older than yesterday are deleted as new
-- ones are counted.
create table intake_counters (
  tenant_id text not null,
  counter text not null check (counter in ('requests', 'codes', 'attempts')),
  key text not null,
  day date not null,
  count integer not null,
  primary key (tenant_id, counter, key, day)
);
create index intake_counters_day on intake_counters (tenant_id, day);

alter table intake_counters enable row level security;
alter table intake_counters force row level security;
create policy tenant_isolation on intake_counters
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
