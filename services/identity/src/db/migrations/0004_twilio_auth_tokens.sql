-- Auth tokens of the Twilio-compatible API. The token also signs the callbacks Parley sends the tenant
-- (X-Twilio-Signature), so it must be readable: it is stored sealed (AES-256-GCM, key derived from
-- API_KEY_PEPPER, the tenant id as associated data), never in clear and never answered again. A rotated
-- token keeps working until expires_at; the current one has none.
create table twilio_auth_tokens (
  id uuid primary key,
  tenant_id text not null references tenants (tenant_id),
  sealed_token bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz
);

create index twilio_auth_tokens_tenant on twilio_auth_tokens (tenant_id, created_at desc);

alter table twilio_auth_tokens enable row level security;
alter table twilio_auth_tokens force row level security;
create policy tenant_isolation on twilio_auth_tokens
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

-- A presented Account SID names no tenant by itself (it is a hash of the tenant id): this index tells which
-- tenant to switch to before its tokens are read under that tenant's policy. No secret, no personal data.
create table twilio_account_lookup (
  account_sid text primary key check (account_sid ~ '^AC[0-9a-f]{32}$'),
  tenant_id text not null unique
);
