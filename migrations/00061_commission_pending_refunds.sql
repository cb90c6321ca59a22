-- +goose Up
-- Refunds that arrive before an order's commission was computed (the job
-- runs after the payment commits; a refund may come first). The commission
-- job applies them right after recording the commission. Owned by
-- core/distribution.
CREATE TABLE commission_pending_refunds (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  order_id   uuid NOT NULL,
  line_id    text NOT NULL,
  refund_id  text NOT NULL,
  refunded   numeric(18,2) NOT NULL CHECK (refunded > 0),
  line_paid  numeric(18,2) NOT NULL CHECK (line_paid > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id, line_id, refund_id)
);
SELECT banyan_tenant_table('commission_pending_refunds');

-- +goose Down
DROP TABLE IF EXISTS commission_pending_refunds;
