-- Webhooks out (Standard Webhooks): the tenant's signing secrets, the endpoints that answered 410 Gone, and
-- every delivery with its attempts. Tenant-walled like every table here.

-- Signing secrets. The value (whsec_ and base64) must be readable by the delivery worker to sign with, so it
-- cannot be hashed; it is answered once by CreateWebhookSecret and never again by any RPC, and never logged.
-- It is stored as text under RLS, not encrypted (encryption at rest with a key outside the database is a
-- follow-up). A retired secret keeps signing until expires_at, so receivers can switch over.
create table webhook_secrets (
  id uuid primary key,
  tenant_id text not null,
  secret text not null check (secret like 'whsec\_%'),
  created_at timestamptz not null default now(),
  retired_at timestamptz,
  expires_at timestamptz,
  check ((retired_at is null) = (expires_at is null)),
  check (expires_at is null or expires_at >= retired_at)
);
create index webhook_secrets_tenant on webhook_secrets (tenant_id, created_at desc, id desc);

-- Endpoints that answered 410 Gone: nothing more is sent to them for the tenant until it retries a delivery
-- to that URL (which takes the URL off this list).
create table disabled_webhook_endpoints (
  tenant_id text not null,
  url text not null,
  disabled_at timestamptz not null default now(),
  primary key (tenant_id, url)
);

-- One webhook message to one URL. The id is the webhook-id header of every attempt. What the receiver
-- answered is kept as its status code and an error class only, never its body.
create table webhook_deliveries (
  id uuid primary key,
  tenant_id text not null,
  url text not null check (length(url) <= 2048),
  type text not null check (type ~ '^[a-z][a-z0-9_.]{0,99}$'),
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed', 'disabled')),
  attempts integer not null default 0 check (attempts >= 0),
  last_status_code integer,
  last_error text check (
    last_error in ('http_status', 'timeout', 'connection', 'dns', 'tls', 'redirect', 'address_refused',
                   'url_invalid', 'no_secret', 'gone')
  ),
  -- Retries run until retry_from plus the retry window (WEBHOOK_RETRY_HOURS); a manual retry restarts it.
  retry_from timestamptz not null default now(),
  next_attempt_at timestamptz,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  updated_at timestamptz not null default now()
);
create index webhook_deliveries_recent on webhook_deliveries (tenant_id, created_at desc, id desc);
create index webhook_deliveries_by_status on webhook_deliveries (tenant_id, status, created_at desc, id desc);

alter table webhook_secrets enable row level security;
alter table webhook_secrets force row level security;
create policy tenant_isolation on webhook_secrets
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

alter table disabled_webhook_endpoints enable row level security;
alter table disabled_webhook_endpoints force row level security;
create policy tenant_isolation on disabled_webhook_endpoints
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

alter table webhook_deliveries enable row level security;
alter table webhook_deliveries force row level security;
create policy tenant_isolation on webhook_deliveries
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
