-- +goose Up
-- Two-phase refunds (core/orders/refunds.go): a refund is recorded
-- `pending` with the order locked, the provider is called with no
-- transaction open, and the refund is then settled `succeeded` (everything
-- the refund causes is posted then) or `failed` (nothing posted; message
-- says why). Owned by core/orders.
ALTER TABLE refunds
  ADD COLUMN message    text NOT NULL DEFAULT '',
  ADD COLUMN orphan     boolean NOT NULL DEFAULT false,
  ADD COLUMN settled_at timestamptz;
-- Before this migration a refund was posted in full when recorded, whatever
-- its status (payment-offline answered `pending`): those are settled.
UPDATE refunds SET settled_at = created_at;
UPDATE refunds SET status = 'succeeded', message = 'recorded before two-phase refunds' WHERE status = 'pending';
-- The pending refunds of an order count against what can still be refunded.
CREATE INDEX refunds_pending_idx ON refunds (tenant_id, order_id) WHERE status = 'pending';

-- An after-sales request waits in `refunding` while its refund is pending.
ALTER TABLE after_sales DROP CONSTRAINT after_sales_state_check;
ALTER TABLE after_sales ADD CONSTRAINT after_sales_state_check
  CHECK (state IN ('requested', 'approved', 'returning', 'received', 'refunding', 'refunded', 'rejected', 'withdrawn'));
DROP INDEX after_sales_open;
CREATE UNIQUE INDEX after_sales_open ON after_sales (tenant_id, order_id) WHERE state IN ('requested', 'approved', 'returning', 'received', 'refunding');

-- +goose Down
DROP INDEX after_sales_open;
CREATE UNIQUE INDEX after_sales_open ON after_sales (tenant_id, order_id) WHERE state IN ('requested', 'approved', 'returning', 'received');
UPDATE after_sales SET state = 'received' WHERE state = 'refunding' AND kind = 'return_and_refund';
UPDATE after_sales SET state = 'requested' WHERE state = 'refunding';
ALTER TABLE after_sales DROP CONSTRAINT after_sales_state_check;
ALTER TABLE after_sales ADD CONSTRAINT after_sales_state_check
  CHECK (state IN ('requested', 'approved', 'returning', 'received', 'refunded', 'rejected', 'withdrawn'));
DROP INDEX refunds_pending_idx;
ALTER TABLE refunds DROP COLUMN settled_at, DROP COLUMN orphan, DROP COLUMN message;
