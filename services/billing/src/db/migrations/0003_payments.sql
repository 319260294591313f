-- Payments: cards as the processor's token (never a card number), top-ups credited to the wallet exactly
-- once, refunds, and the processor's webhook events already handled. The wallet is 0002's (wallet_credits,
-- billing_accounts.balance_minor), moved only through billing's WalletRepository. Every row carries its
-- tenant; RLS.

create table payment_methods (
  id text primary key,
  tenant_id text not null,
  processor text not null,
  -- The processor's reusable token for the card; brand, last four digits and expiry are all Parley keeps.
  processor_token text not null,
  brand text not null check (brand in ('visa', 'mastercard', 'amex', 'discover', 'unknown')),
  last4 text not null check (last4 ~ '^[0-9]{4}$'),
  exp_month smallint not null check (exp_month between 1 and 12),
  exp_year smallint not null check (exp_year between 2000 and 2100),
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  unique (tenant_id, processor, processor_token)
);
create unique index payment_methods_one_default on payment_methods (tenant_id) where is_default;

create table top_ups (
  id text primary key,
  tenant_id text not null,
  -- The request that created it (the gateway derives it from the Idempotency-Key): a retry finds it.
  request_key text not null,
  payment_method_id text not null references payment_methods (id),
  amount_minor bigint not null check (amount_minor > 0),
  currency char(3) not null,
  status text not null check (status in ('pending', 'requires_action', 'succeeded', 'failed')),
  charge_id text unique,
  failure_code text,
  failure_message text,
  next_action_url text,
  refunded_minor bigint not null default 0 check (refunded_minor between 0 and amount_minor),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, request_key)
);

create table refunds (
  id text primary key,
  tenant_id text not null,
  request_key text not null,
  top_up_id text not null references top_ups (id),
  amount_minor bigint not null check (amount_minor > 0),
  currency char(3) not null,
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  reason text not null default '',
  processor_refund_id text unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, request_key)
);

-- Processor webhook events already applied, in the same transaction as their effect.
create table payment_webhook_events (
  event_id text primary key,
  tenant_id text not null,
  type text not null,
  received_at timestamptz not null default now()
);

do $$
declare
  t text;
begin
  foreach t in array array['payment_methods', 'top_ups', 'refunds', 'payment_webhook_events'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format(
      'create policy tenant_isolation on %I using (tenant_id = current_setting(''app.tenant_id'', true)) with check (tenant_id = current_setting(''app.tenant_id'', true))',
      t
    );
  end loop;
end $$;
