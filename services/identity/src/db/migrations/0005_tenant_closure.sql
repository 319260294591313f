-- When a tenant was closed (CloseTenant): identity.tenant.closed carries it, and the retention clocks of
-- the tenant's records (billing's financial records first) run from it. Null while the tenant is open.
alter table tenants add column closed_at timestamptz;
