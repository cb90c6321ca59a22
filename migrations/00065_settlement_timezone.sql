-- +goose Up
-- Weekly settlement cuts at Monday 00:00 in the shop's time zone, so the
-- periodic job needs each due tenant's zone with its id.
DROP FUNCTION IF EXISTS distribution_due_tenants(timestamptz);
CREATE FUNCTION distribution_due_tenants(at timestamptz) RETURNS TABLE (tenant_id uuid, timezone text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT t.id, t.timezone FROM tenants t
  WHERE EXISTS (SELECT 1 FROM commissions c
    JOIN commission_line_windows w ON w.tenant_id = c.tenant_id AND w.order_id = c.order_id AND w.line_id = c.line_id
    WHERE c.tenant_id = t.id AND c.status = 'frozen' AND w.closes_at <= at)
$$;

-- +goose Down
DROP FUNCTION IF EXISTS distribution_due_tenants(timestamptz);
CREATE FUNCTION distribution_due_tenants(at timestamptz) RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT DISTINCT c.tenant_id FROM commissions c
  JOIN commission_line_windows w ON w.tenant_id = c.tenant_id AND w.order_id = c.order_id AND w.line_id = c.line_id
  WHERE c.status = 'frozen' AND w.closes_at <= at
$$;
