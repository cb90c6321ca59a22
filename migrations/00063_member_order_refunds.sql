-- +goose Up
-- One row per refund of a completed order, taken off the member's
-- cumulative spend and growth (members.RecordOrderRefund). The primary key
-- makes it idempotent per refund; the foreign key ties it to the order's
-- credit, which bounds what refunds can take back. Append-only.
CREATE TABLE member_order_refunds (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  refund_id   text NOT NULL CHECK (length(refund_id) BETWEEN 1 AND 64),
  order_id    uuid NOT NULL,
  member_id   uuid NOT NULL,
  amount      numeric(18,2) NOT NULL CHECK (amount >= 0),
  growth      bigint NOT NULL CHECK (growth >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, refund_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES member_order_credits (tenant_id, order_id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
SELECT banyan_tenant_table('member_order_refunds');
REVOKE UPDATE, DELETE ON member_order_refunds FROM banyan_app;
CREATE INDEX member_order_refunds_order_idx ON member_order_refunds (tenant_id, order_id);

-- +goose Down
DROP TABLE IF EXISTS member_order_refunds;
