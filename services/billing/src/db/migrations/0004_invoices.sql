-- Invoices: billing profiles (buyer details, billing country, invoice prefix), invoices and credit notes
-- with their itemised lines, and one number counter per tenant and month.

-- The parties of each rated message or call, for the itemised invoice (personal data: anonymised on erasure).
alter table usage_records add column party_from text, add column party_to text;

-- Who is invoiced: the tenant itself (account_id '') or one of its sub-accounts.
create table billing_profiles (
  tenant_id text not null,
  account_id text not null default '',
  name text not null default '' check (length(name) <= 200),
  address text not null default '' check (length(address) <= 1000),
  email text not null default '' check (length(email) <= 320),
  -- ISO 3166-1 alpha-2: the plan's tax rate and the legal retention period follow it.
  country char(2) check (country ~ '^[A-Z]{2}$'),
  tax_id text not null default '' check (length(tax_id) <= 50),
  invoice_prefix text not null default 'INV' check (invoice_prefix ~ '^[A-Z0-9]{1,10}$'),
  -- When the customer left (account closed): retention counts from here.
  closed_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, account_id)
);

-- The last number issued per tenant and month: updated in the issuing transaction, under its row lock, so
-- numbers are gapless (a rolled-back issue rolls the counter back too) and never issued twice.
create table invoice_counters (
  tenant_id text not null,
  period char(7) not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  last_number integer not null default 0 check (last_number >= 0),
  primary key (tenant_id, period)
);

create table invoices (
  id uuid primary key,
  tenant_id text not null,
  account_id text not null default '',
  kind text not null check (kind in ('invoice', 'credit_note')),
  period char(7) not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  -- PREFIX-YYYYMM-0001, or <invoice number>-CN01 for a credit note; assigned at issue only.
  number text not null,
  state text not null check (state in ('issued', 'paid', 'void')),
  -- A credit note names the invoice it corrects.
  credits_invoice_id uuid references invoices (id),
  credit_note_count integer not null default 0,
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  -- { category: minor units } of the lines, and their sum.
  subtotals jsonb not null default '{}'::jsonb,
  subtotal_minor bigint not null,
  tax_country char(2),
  tax_percent numeric(20, 9) not null default 0,
  tax_minor bigint not null,
  total_minor bigint not null check (total_minor = subtotal_minor + tax_minor),
  paid_minor bigint not null default 0 check (paid_minor >= 0),
  line_count integer not null default 0,
  -- Seller and buyer as printed (name, address, country, tax id); the buyer is anonymised on erasure.
  seller jsonb not null,
  buyer jsonb not null,
  reason text not null default '' check (length(reason) <= 500),
  issued_at timestamptz not null default now(),
  due_at timestamptz not null,
  paid_at timestamptz,
  voided_at timestamptz,
  anonymised_at timestamptz,
  unique (tenant_id, number),
  check ((kind = 'credit_note') = (credits_invoice_id is not null))
);
-- One invoice per tenant, account and period: two racing runs cannot both issue it.
create unique index invoices_one_per_period on invoices (tenant_id, account_id, period) where kind = 'invoice';
create index invoices_by_tenant on invoices (tenant_id, issued_at desc, id);

create table invoice_lines (
  invoice_id uuid not null references invoices (id),
  line_no integer not null check (line_no > 0),
  tenant_id text not null,
  category text not null,
  usage_id uuid,
  -- The message, call or number id the line is about.
  reference text not null,
  occurred_at timestamptz not null,
  party_from text,
  party_to text,
  country text not null default '',
  quantity numeric(20, 9) not null,
  unit text not null,
  unit_price numeric(20, 9) not null,
  amount_minor bigint not null,
  primary key (invoice_id, line_no)
);

do $$
declare t text;
begin
  foreach t in array array['billing_profiles', 'invoice_counters', 'invoices', 'invoice_lines'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy tenant_isolation on %I
      using (tenant_id = current_setting('app.tenant_id', true))
      with check (tenant_id = current_setting('app.tenant_id', true))$p$, t);
  end loop;
end $$;

-- The invoice run lists every tenant's periods due for an invoice (then issues each in the tenant's own
-- transaction).
create policy platform_reads_periods on billing_periods for select
  using (current_setting('app.tenant_id', true) = 'platform');
