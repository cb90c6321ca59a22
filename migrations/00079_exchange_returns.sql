-- +goose Up
-- Points goods come back through after-sales too. Their lines were paid in
-- points, not money: a refund of them moves 0 money and gives the points
-- back, so a refund (and its lines) may now be 0 — only for points-goods
-- lines, which the application checks. An order paid wholly in points has
-- no payment, so such a refund has none either.
ALTER TABLE refunds DROP CONSTRAINT refunds_amount_check,
  ADD CONSTRAINT refunds_amount_check CHECK (amount >= 0),
  ALTER COLUMN payment_id DROP NOT NULL,
  ADD CONSTRAINT refunds_payment_or_points CHECK (payment_id IS NOT NULL OR amount = 0);
ALTER TABLE refund_lines DROP CONSTRAINT refund_lines_amount_check,
  ADD CONSTRAINT refund_lines_amount_check CHECK (amount >= 0);
ALTER TABLE after_sales DROP CONSTRAINT after_sales_amount_check,
  ADD CONSTRAINT after_sales_amount_check CHECK (amount >= 0);

-- +goose Down
-- The old schema cannot hold points-goods returns: they are dropped (the
-- points they gave back stay in the member's points ledger).
DELETE FROM after_sales WHERE amount = 0;
ALTER TABLE after_sales DROP CONSTRAINT after_sales_amount_check,
  ADD CONSTRAINT after_sales_amount_check CHECK (amount > 0);
DELETE FROM refund_lines WHERE amount = 0;
DELETE FROM refunds WHERE amount = 0;
ALTER TABLE refund_lines DROP CONSTRAINT refund_lines_amount_check,
  ADD CONSTRAINT refund_lines_amount_check CHECK (amount > 0);
ALTER TABLE refunds DROP CONSTRAINT refunds_payment_or_points,
  ALTER COLUMN payment_id SET NOT NULL,
  DROP CONSTRAINT refunds_amount_check,
  ADD CONSTRAINT refunds_amount_check CHECK (amount > 0);
