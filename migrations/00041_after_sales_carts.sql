-- +goose Up
-- After-sales requests and carts. Owned by core/orders.

-- A member's request to get money back for some lines: refund_only, or
-- return_and_refund (goods come back first). requested → approved →
-- returning → received → refunded, or rejected / withdrawn; refund_only
-- goes requested → refunded on approval.
CREATE TABLE after_sales (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  order_id        uuid NOT NULL,
  member_id       uuid NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('refund_only', 'return_and_refund')),
  state           text NOT NULL CHECK (state IN ('requested', 'approved', 'returning', 'received', 'refunded', 'rejected', 'withdrawn')),
  reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
  photos          text[] NOT NULL DEFAULT '{}',
  lines           jsonb NOT NULL,
  amount          numeric(18,2) NOT NULL CHECK (amount > 0),
  reject_reason   text NOT NULL DEFAULT '',
  return_carrier  text NOT NULL DEFAULT '',
  return_tracking text NOT NULL DEFAULT '',
  refund_id       uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
SELECT banyan_tenant_table('after_sales');
CREATE INDEX after_sales_created_idx ON after_sales (tenant_id, created_at DESC, id);
CREATE INDEX after_sales_order_idx ON after_sales (tenant_id, order_id);
-- One open request per order at a time.
CREATE UNIQUE INDEX after_sales_open ON after_sales (tenant_id, order_id) WHERE state IN ('requested', 'approved', 'returning', 'received');

-- Cart lines of a member, or of a visitor (owner 'v:' + visitor id) until
-- they log in and the lines merge into the member's cart.
CREATE TABLE cart_lines (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  owner     text NOT NULL CHECK (length(owner) BETWEEN 1 AND 80),
  sku_id    uuid NOT NULL,
  qty       int NOT NULL CHECK (qty BETWEEN 1 AND 9999),
  added_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, owner, sku_id)
);
SELECT banyan_tenant_table('cart_lines');

-- +goose Down
DROP TABLE cart_lines, after_sales;
