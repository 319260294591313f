-- Each tenant's messaging settings (issue 11: retention, throughput classes, HELP text). A tenant without a
-- row has the defaults: content not kept after the final status, metadata the platform's default (365
-- days), the service's SENDER_RATES, no help text.

create table messaging_settings (
  tenant_id text primary key,
  -- Days a message's body and media URLs are kept after its final status; null: removed right after it.
  content_retention_days integer check (content_retention_days between 0 and 3650),
  -- Days a message's metadata is kept after it was created; null: the platform's default.
  metadata_retention_days integer check (metadata_retention_days between 1 and 3650),
  -- Segments per second per sender number, by throughput class, overriding SENDER_RATES (absent: the service's).
  sender_rates jsonb not null default '{}' check (jsonb_typeof(sender_rates) = 'object'),
  -- The answer to HELP and INFO keywords; null: none set.
  help_text text check (length(help_text) between 1 and 1600),
  updated_at timestamptz not null default now()
);

alter table messaging_settings enable row level security;
alter table messaging_settings force row level security;
create policy tenant_isolation on messaging_settings
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
-- The platform's daily retention pass reads every tenant's metadata retention (to know which months no
-- tenant keeps any more, and which tenants delete sooner). Reads only; writes stay walled.
create policy platform_reads_settings on messaging_settings for select
  using (current_setting('app.tenant_id', true) = 'platform');

-- Finished messages that still hold content, by when they finished (updated_at is the final status's time:
-- nothing changes a message after it). The content-retention sweep walks only these.
create index messages_content_held on messages (tenant_id, updated_at)
  where (body is not null or cardinality(media_urls) > 0)
    and status in ('delivered', 'undelivered', 'failed', 'expired');
