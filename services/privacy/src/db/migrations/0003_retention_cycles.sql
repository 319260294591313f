-- Scheduled retention runs on the kit's job queue. A cycle is one scheduled period (the time the
-- schedule fired) across every tenant: it is claimed once, retried while a participant is down, and
-- its row says which participant held it up. It names participants only, never a data subject, and
-- belongs to no tenant (the platform's own bookkeeping), so it has no tenant_id and no RLS.
create table retention_cycles (
  period timestamptz primary key,
  state text not null default 'running' check (state in ('running', 'retrying', 'completed', 'failed')),
  attempts integer not null default 0,
  -- [{ "participant": "billing", "reason": "UNAVAILABLE" }], empty once it completes
  waiting_for jsonb not null default '[]',
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz
);

-- A tenant's run started by a cycle names it, so a retried or duplicated cycle never runs a tenant twice.
alter table retention_runs add column cycle timestamptz;
create unique index retention_runs_tenant_cycle on retention_runs (tenant_id, cycle) where cycle is not null;
