-- Data-subject requests with their legal clocks and per-participant tasks, verification codes, export
-- archives, the consent ledger, legal holds, retention policies and runs, the hash-chained audit log, the
-- breach register, and the development mailbox.

alter table subject_requests
  add column jurisdiction text not null default 'gdpr' check (jurisdiction in ('gdpr', 'uk_gdpr', 'ccpa', 'other')),
  add column subject jsonb not null default '{}',
  add column identifiers jsonb not null default '{}',
  add column changes jsonb,
  add column base_due_at timestamptz,
  add column extended boolean not null default false,
  add column extension_reason text,
  add column paused_at timestamptz,
  add column paused_ms bigint not null default 0,
  add column verified_by text,
  add column requester text not null default '',
  add column reason text,
  add column completed_at timestamptz,
  add column overdue_announced boolean not null default false;

-- The platform's scanner reads every tenant's requests to watch their deadlines; writes stay walled.
create policy platform_reads_requests on subject_requests for select
  using (current_setting('app.tenant_id', true) = 'platform');

create table request_tasks (
  tenant_id text not null,
  request_id uuid not null,
  participant text not null,
  action integer not null,
  -- Retention purges: one task per category.
  category text not null default '',
  state text not null default 'pending' check (state in ('pending', 'done')),
  requested_at timestamptz not null default now(),
  completed_at timestamptz,
  receipt jsonb,
  primary key (request_id, participant, action, category)
);


create table verification_codes (
  tenant_id text not null,
  request_id uuid primary key,
  code_hash text not null,
  sent_to text not null,
  expires_at timestamptz not null,
  attempts integer not null default 0,
  sent_at timestamptz not null default now()
);

create table export_records (
  tenant_id text not null,
  request_id uuid not null,
  seq bigserial,
  participant text not null,
  category text not null,
  sealed bytea not null,
  primary key (request_id, seq)
);

create table archives (
  tenant_id text not null,
  request_id uuid primary key,
  sealed bytea not null,
  manifest jsonb not null,
  requester text not null,
  created_at timestamptz not null default now()
);

-- A download link names only its token; this index says which tenant's archive it opens. No personal data.
create table archive_links (
  token_hash text primary key,
  tenant_id text not null,
  request_id uuid not null,
  expires_at timestamptz not null
);

create table consents (
  id uuid primary key,
  tenant_id text not null,
  subject jsonb not null,
  subject_hashes text[] not null,
  purpose text not null,
  granted boolean not null,
  method text not null,
  text_version text not null,
  recorded_by text not null,
  recorded_at timestamptz not null default now()
);
create index consents_subject on consents using gin (subject_hashes);

create table legal_holds (
  id uuid primary key,
  tenant_id text not null,
  subject jsonb not null,
  subject_hashes text[] not null,
  reason text not null,
  placed_by text not null,
  placed_at timestamptz not null default now(),
  removed_at timestamptz
);

create table retention_policies (
  tenant_id text not null,
  participant text not null,
  category text not null,
  days integer not null check (days between 1 and 36500),
  primary key (tenant_id, participant, category)
);

create table retention_runs (
  id uuid primary key,
  tenant_id text not null,
  started_at timestamptz not null default now(),
  state text not null default 'in_progress'
);

create table audit_log (
  id bigserial primary key,
  tenant_id text not null,
  at timestamptz not null,
  actor text not null,
  action text not null,
  request_id text,
  details jsonb not null,
  prev_hash text not null,
  hash text not null
);
create index audit_log_tenant on audit_log (tenant_id, id);

create table breaches (
  id uuid primary key,
  tenant_id text not null,
  description text not null,
  discovered_at timestamptz not null,
  categories text[] not null,
  subjects_affected bigint not null,
  notify_by timestamptz not null,
  notified_at timestamptz,
  created_at timestamptz not null default now()
);

create table mailbox (
  id bigserial primary key,
  tenant_id text not null,
  to_address text not null,
  subject text not null,
  body text not null,
  sent_at timestamptz not null default now()
);

do $$
declare t text;
begin
  foreach t in array array['request_tasks', 'verification_codes', 'export_records', 'archives', 'consents',
                           'legal_holds', 'retention_policies', 'retention_runs', 'audit_log', 'breaches', 'mailbox']
  loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy tenant_isolation on %I
      using (tenant_id = current_setting('app.tenant_id', true))
      with check (tenant_id = current_setting('app.tenant_id', true))$p$, t);
  end loop;
end $$;
