-- Numbering's inventory: numbers with their configuration and lifecycle, orders, reservations, the offers a
-- tenant was shown, port-ins, per-tenant settings, and the cross-tenant directory of who holds a number.

-- Per-tenant settings. The billing currency lives here (default USD) because numbering is the first
-- service that prices anything for a tenant; billing can take it over through an event later.
create table tenant_settings (
  tenant_id text primary key,
  billing_currency char(3) not null default 'USD' check (billing_currency ~ '^[A-Z]{3}$'),
  quarantine_days integer not null default 30 check (quarantine_days between 0 and 365),
  -- What erasing an account does to its numbers: 'unassign' keeps them with the tenant without the
  -- account; 'release' gives them back to the supplier (into quarantine).
  erasure_policy text not null default 'unassign' check (erasure_policy in ('unassign', 'release')),
  updated_at timestamptz not null default now()
);

alter table numbers drop constraint numbers_e164_key;
alter table numbers
  add column status text not null default 'active'
    check (status in ('active', 'quarantined', 'released')),
  add column type text not null default 'local' check (type in ('local', 'mobile', 'toll_free')),
  add column capabilities text[] not null default '{}',
  add column locality text not null default '',
  add column region text not null default '',
  add column account_id text,
  add column friendly_name text not null default '' check (length(friendly_name) <= 100),
  add column forwarding_target text check (forwarding_target ~ '^\+[1-9][0-9]{6,14}$'),
  add column caller_id text check (caller_id ~ '^\+[1-9][0-9]{6,14}$'),
  add column messaging_webhook_url text,
  add column voice_webhook_url text,
  add column messaging_profile text not null default '',
  add column throughput_class text not null default 'long_code'
    check (throughput_class in ('long_code', 'toll_free', 'short_code')),
  add column currency char(3) not null default 'USD',
  add column setup_minor bigint not null default 0,
  add column monthly_minor bigint not null default 0,
  add column source text not null default 'purchase' check (source in ('purchase', 'port_in')),
  add column source_id text not null default '',
  add column released_at timestamptz,
  add column quarantine_until timestamptz,
  add column reclaim_until timestamptz,
  add column updated_at timestamptz not null default now();

-- One live row per number and tenant (a reclaimed number is the same row, active again).
create unique index numbers_live on numbers (tenant_id, e164) where status <> 'released';
create index numbers_account on numbers (tenant_id, account_id) where account_id is not null;

-- Who holds a number right now, across tenants: ordering, active, porting or quarantined. It answers
-- "may this tenant buy it?" and ResolveNumber (inbound traffic names only the number). Everyone may read
-- it; a tenant writes only its own rows, and may take over another tenant's row only once that row's
-- quarantine has ended. It holds the number and ids, nothing else.
create table number_directory (
  e164 text primary key check (e164 ~ '^\+[1-9][0-9]{6,14}$'),
  tenant_id text not null,
  number_id uuid,
  state text not null check (state in ('ordering', 'active', 'porting', 'quarantined')),
  quarantine_until timestamptz,
  reclaim_until timestamptz,
  updated_at timestamptz not null default now()
);
alter table number_directory enable row level security;
alter table number_directory force row level security;
create policy directory_read on number_directory for select using (true);
create policy directory_insert on number_directory for insert
  with check (tenant_id = current_setting('app.tenant_id', true));
create policy directory_update on number_directory for update
  using (
    tenant_id = current_setting('app.tenant_id', true)
    or (state = 'quarantined' and quarantine_until <= now())
  )
  with check (tenant_id = current_setting('app.tenant_id', true));
create policy directory_delete on number_directory for delete
  using (tenant_id = current_setting('app.tenant_id', true));

-- What a search showed a tenant, with the price in its billing currency: an order buys at that price.
create table offers (
  tenant_id text not null,
  e164 text not null check (e164 ~ '^\+[1-9][0-9]{6,14}$'),
  country text not null,
  locality text not null,
  region text not null,
  area_code text not null,
  type text not null,
  capabilities text[] not null,
  currency char(3) not null,
  setup_minor bigint not null,
  monthly_minor bigint not null,
  seen_at timestamptz not null default now(),
  primary key (tenant_id, e164)
);

create table reservations (
  id uuid primary key,
  tenant_id text not null,
  phone_numbers text[] not null,
  supplier_reservation_id text not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index reservations_tenant on reservations (tenant_id, expires_at);

create table number_orders (
  id uuid primary key,
  tenant_id text not null,
  e164 text not null check (e164 ~ '^\+[1-9][0-9]{6,14}$'),
  account_id text,
  status text not null check (status in ('pending', 'active', 'failed')),
  failure_reason text,
  reservation_id uuid,
  supplier_order_id text,
  number_id uuid,
  created_at timestamptz not null default now(),
  completed_at timestamptz
);
-- One pending order per number and tenant: a retry or race finds it instead of ordering again.
create unique index number_orders_pending on number_orders (tenant_id, e164) where status = 'pending';
create index number_orders_recent on number_orders (tenant_id, created_at desc, id desc);

create table port_ins (
  id uuid primary key,
  tenant_id text not null,
  status text not null
    check (status in ('draft', 'submitted', 'exception', 'foc_date_confirmed', 'activating', 'ported', 'cancelled')),
  phone_numbers text[] not null,
  losing_carrier text not null,
  account_number text,
  -- Held only until the supplier has the request.
  pin text,
  authorized_name text,
  address jsonb,
  requested_date timestamptz not null,
  foc_date timestamptz,
  exception_reason text,
  documents jsonb not null default '[]',
  account_id text,
  supplier_port_in_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz
);
create index port_ins_recent on port_ins (tenant_id, created_at desc, id desc);

do $$
declare t text;
begin
  foreach t in array array['tenant_settings', 'offers', 'reservations', 'number_orders', 'port_ins'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy tenant_isolation on %I
      using (tenant_id = current_setting('app.tenant_id', true))
      with check (tenant_id = current_setting('app.tenant_id', true))$p$, t);
  end loop;
end $$;
