-- +goose Up
-- Lines that are not plain sales: promotion gifts (price 0, the campaign
-- that gave them) and points-goods exchanges (price 0, points_price × qty
-- points). The order carries the points its exchange lines took.
ALTER TABLE order_lines
  ADD COLUMN kind text NOT NULL DEFAULT 'sale' CHECK (kind IN ('sale', 'gift', 'exchange')),
  ADD COLUMN points bigint NOT NULL DEFAULT 0 CHECK (points >= 0),
  ADD COLUMN campaign_id text NOT NULL DEFAULT '';
ALTER TABLE orders
  ADD COLUMN exchange_points bigint NOT NULL DEFAULT 0 CHECK (exchange_points >= 0);

-- +goose Down
ALTER TABLE order_lines DROP COLUMN IF EXISTS kind, DROP COLUMN IF EXISTS points, DROP COLUMN IF EXISTS campaign_id;
ALTER TABLE orders DROP COLUMN IF EXISTS exchange_points;
