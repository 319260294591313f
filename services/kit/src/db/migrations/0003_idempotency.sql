-- Idempotency at two levels, both per tenant and walled off by row-level security:
--
-- kit_idempotency_keys: the gateway's record of each `Idempotency-Key` a caller sent with a creating
-- request: a fingerprint of what was asked (method, path, canonical body, tenant, principal), and once
-- answered the answer itself (status, content type, body) so a retry replays it. A row in state
-- 'running' is leased: a process that dies mid-request leaves a lease that runs out, after which the
-- same request may take the key over. Rows expire 24 hours after they were first used.
--
-- kit_handled_requests: a service's record of each request id (sent by the gateway in gRPC metadata)
-- that an operation has already carried out, with its stored result, written in the same transaction as
-- the effect, so a retried RPC returns the first result instead of acting twice.

create table kit_idempotency_keys (
  tenant_id text not null,
  idempotency_key text not null,
  principal text not null,
  fingerprint text not null,
  state text not null check (state in ('running', 'completed')),
  lease_until timestamptz not null,
  response_status integer,
  response_type text,
  response_body bytea,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (tenant_id, idempotency_key)
);

create index kit_idempotency_keys_expiry on kit_idempotency_keys (tenant_id, expires_at);

alter table kit_idempotency_keys enable row level security;
alter table kit_idempotency_keys force row level security;
create policy tenant_isolation on kit_idempotency_keys
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

create table kit_handled_requests (
  tenant_id text not null default current_setting('app.tenant_id', true),
  request_id text not null,
  operation text not null,
  result bytea,
  handled_at timestamptz not null default now(),
  primary key (tenant_id, request_id, operation)
);

create index kit_handled_requests_time on kit_handled_requests (tenant_id, handled_at);

alter table kit_handled_requests enable row level security;
alter table kit_handled_requests force row level security;
create policy tenant_isolation on kit_handled_requests
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
