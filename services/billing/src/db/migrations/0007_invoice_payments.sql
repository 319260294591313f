-- Invoice payments: an issued invoice charged to a payment method (automatically after issue for a postpaid
-- tenant, or on demand), and the indexes the top-up and refund lists page through.

create table invoice_payments (
  id text primary key,
  tenant_id text not null,
  invoice_id uuid not null references invoices (id) on delete cascade,
  -- 'auto:<invoice id>' for the charge after issue; the request's key (Idempotency-Key) on demand: a retry
  -- finds the payment it started, so it charges with the same processor idempotency key (the payment's id).
  request_key text not null,
  trigger text not null check (trigger in ('automatic', 'on_demand')),
  -- Null once the card was erased (privacy): the payment is a financial record and stays.
  payment_method_id text references payment_methods (id) on delete set null,
  amount_minor bigint not null check (amount_minor > 0),
  currency char(3) not null,
  status text not null check (status in ('pending', 'requires_action', 'succeeded', 'failed')),
  charge_id text unique,
  failure_code text,
  failure_message text,
  next_action_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, request_key)
);
-- At most one payment of an invoice in flight or succeeded: a second charge can only follow a failed one,
-- so an invoice is never charged twice.
create unique index invoice_payments_one_live on invoice_payments (invoice_id)
  where status in ('pending', 'requires_action', 'succeeded');
create index invoice_payments_by_invoice on invoice_payments (tenant_id, invoice_id, created_at);

alter table invoice_payments enable row level security;
alter table invoice_payments force row level security;
create policy tenant_isolation on invoice_payments
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

-- GET /v1/top-ups and /v1/refunds: newest first, keyset on (created_at, id).
create index top_ups_by_tenant on top_ups (tenant_id, created_at desc, id desc);
create index refunds_by_tenant on refunds (tenant_id, created_at desc, id desc);
