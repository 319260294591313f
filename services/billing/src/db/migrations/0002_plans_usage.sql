-- Plans (versioned price lists), the tenant's plan, rated usage and billing periods.

-- A plan is platform data (no tenant): every tenant reads the plan it is on through the service.
create table billing_plans (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text not null check (length(name) between 1 and 100),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  is_default boolean not null default false,
  created_at timestamptz not null default now()
);
-- One default plan per currency: a new tenant whose account is in that currency is put on it.
create unique index billing_plans_default on billing_plans (currency) where is_default;

-- Prices never change in place: a new version applies from its effective time on, so usage already rated
-- (which names its plan version and carries its unit price) is never rewritten.
create table billing_plan_versions (
  plan_id text not null references billing_plans (id),
  version integer not null check (version > 0),
  effective_from timestamptz not null,
  -- The PlanPrices message in its proto3 JSON form (decimal strings), checked by the service.
  prices jsonb not null,
  created_at timestamptz not null default now(),
  primary key (plan_id, version),
  unique (plan_id, effective_from)
);

-- The seeded default plan (USD). Operators add versions or other plans through /v1/admin/plans.
insert into billing_plans (id, name, currency, is_default) values ('standard', 'Standard', 'USD', true);
insert into billing_plan_versions (plan_id, version, effective_from, prices) values (
  'standard', 1, '2000-01-01T00:00:00Z',
  '{
    "smsOutboundPerSegment": { "defaultPrice": "0.0079", "byCountry": { "GB": "0.04", "DE": "0.075", "FR": "0.07" } },
    "mmsOutboundPerMessage": { "defaultPrice": "0.02", "byCountry": {} },
    "inboundMessage": "0.0079",
    "numbers": [
      { "numberType": "local", "country": "*", "setup": "0", "monthly": "1.15" },
      { "numberType": "mobile", "country": "*", "setup": "0", "monthly": "1.15" },
      { "numberType": "toll_free", "country": "*", "setup": "0", "monthly": "2.15" }
    ],
    "callInboundPerMinute": "0.0085",
    "callOutboundPerMinute": "0.014",
    "callRounding": "CALL_ROUNDING_PER_STARTED_MINUTE",
    "taxPercent": { "defaultPrice": "0", "byCountry": {} },
    "proRataFirstMonth": true
  }'::jsonb
);

-- The tenant's plan; null until one in the account's currency exists (usage then waits, parked).
alter table billing_accounts add column plan_id text references billing_plans (id);
update billing_accounts a set plan_id = p.id from billing_plans p where p.is_default and p.currency = a.currency;

-- A tenant's monthly billing periods. Usage for a closed period (its invoice issued) goes to the next open one.
create table billing_periods (
  tenant_id text not null,
  period char(7) not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  state text not null default 'open' check (state in ('open', 'closed')),
  closed_at timestamptz,
  primary key (tenant_id, period)
);

-- Every rated thing: one row per source (an event id, or rent:<number>:<period>), never twice.
create table usage_records (
  id uuid primary key,
  tenant_id text not null,
  account_id text not null default '',
  category text not null check (category in (
    'sms_outbound', 'mms_outbound', 'message_inbound', 'number_setup', 'number_rent', 'call_inbound', 'call_outbound'
  )),
  -- The message id, call id or number id the line is about.
  reference text not null,
  -- Destination (outbound message), other party (call) or number country, empty when unknown.
  country text not null default '',
  occurred_at timestamptz not null,
  billing_period char(7) not null,
  quantity numeric(20, 9) not null check (quantity >= 0),
  -- segment, message, minute, second or month.
  unit text not null,
  unit_price numeric(20, 9) not null,
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  amount_minor bigint not null,
  plan_id text not null,
  plan_version integer not null,
  -- What it was rated from: the event type, or billing.number.rent for the monthly job.
  source_type text not null,
  source_id text not null unique,
  rated_at timestamptz not null default now()
);
create index usage_records_period on usage_records (tenant_id, billing_period, category);
create index usage_records_occurred on usage_records (tenant_id, occurred_at);

-- Numbers billing charges rent for: from numbering.number.assigned until numbering.number.released.
create table billing_numbers (
  tenant_id text not null,
  number_id text not null,
  account_id text not null default '',
  number_type text not null,
  country text not null,
  assigned_at timestamptz not null,
  released_at timestamptz,
  primary key (tenant_id, number_id)
);

do $$
declare t text;
begin
  foreach t in array array['billing_periods', 'usage_records', 'billing_numbers'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy tenant_isolation on %I
      using (tenant_id = current_setting('app.tenant_id', true))
      with check (tenant_id = current_setting('app.tenant_id', true))$p$, t);
  end loop;
end $$;

-- The monthly rent job lists every tenant's numbers (then charges each in that tenant's own transaction).
create policy platform_reads_numbers on billing_numbers for select
  using (current_setting('app.tenant_id', true) = 'platform');

-- The reconciliation report counts rated usage across tenants.
create policy platform_reads_usage on usage_records for select
  using (current_setting('app.tenant_id', true) = 'platform');

-- Wallets: prepaid or postpaid, a credit limit, a low-balance alert threshold, and credits (top-ups)
-- applied once per reference.

alter table billing_accounts
  add column billing_mode text not null default 'prepaid' check (billing_mode in ('prepaid', 'postpaid')),
  -- How far below zero a prepaid balance may go (minor units, 0 by default).
  add column credit_limit_minor bigint not null default 0 check (credit_limit_minor >= 0),
  -- billing.balance.low is published when the balance falls below this (null: never).
  add column low_balance_threshold_minor bigint,
  -- Whether the alert was sent since the balance was last at or above the threshold (one alert per fall).
  add column low_balance_alerted boolean not null default false;

-- The wallet's payment movements (rated usage moves it through usage_records): a top-up credits it
-- (positive), a refund debits it (negative), each applied once per reference.
create table wallet_credits (
  tenant_id text not null,
  -- The caller's idempotency reference (`top-up:<id>`, `refund:<id>`): a movement is applied once per reference.
  reference text not null check (length(reference) between 1 and 200),
  amount_minor bigint not null check (amount_minor <> 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz not null default now(),
  primary key (tenant_id, reference)
);

alter table wallet_credits enable row level security;
alter table wallet_credits force row level security;
create policy tenant_isolation on wallet_credits
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
