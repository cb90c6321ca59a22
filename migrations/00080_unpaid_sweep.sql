-- +goose Up
-- Orders unpaid at their payment deadline are cancelled by a periodic sweep
-- (core/orders, orders.sweep_unpaid) instead of a River job per order.

-- Only orders still pending payment are in it, so it stays as small as the
-- orders awaiting payment right now (paid and cancelled ones leave it), and
-- deadline first: "is anything due?" is one descent that stops at the first
-- deadline after now, whatever the number of tenants. tenant_id and id make
-- the per-tenant listing of due orders an index-only walk.
CREATE INDEX orders_payment_due_idx ON orders (payment_deadline, tenant_id, id) WHERE state = 'pending_payment';

-- Tenants with an order still pending payment whose deadline is at or before
-- at, for the sweep, which then cancels each tenant's orders in a
-- transaction of that tenant (RLS). It reveals tenant ids only, as
-- distribution_due_tenants does.
CREATE FUNCTION orders_unpaid_due_tenants(at timestamptz) RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT DISTINCT o.tenant_id FROM orders o WHERE o.state = 'pending_payment' AND o.payment_deadline <= at
$$;

-- +goose Down
DROP FUNCTION IF EXISTS orders_unpaid_due_tenants(timestamptz);
DROP INDEX IF EXISTS orders_payment_due_idx;
