-- +goose Up
-- Orders, payments, refunds and shipping. Owned by core/orders.

-- Per-tenant order settings. quote_key signs quotes (HMAC-SHA256); it is
-- created on first use and never leaves the database but through the service.
CREATE TABLE order_settings (
  tenant_id               uuid NOT NULL REFERENCES tenants (id),
  quote_key               bytea NOT NULL,
  payment_timeout_minutes int NOT NULL DEFAULT 30 CHECK (payment_timeout_minutes BETWEEN 1 AND 10080),
  auto_confirm_days       int NOT NULL DEFAULT 10 CHECK (auto_confirm_days BETWEEN 1 AND 90),
  after_sales_days        int NOT NULL DEFAULT 7 CHECK (after_sales_days BETWEEN 0 AND 90),
  -- Shipping: flat fee, free at or above free_over (when set), a fee per
  -- province overriding the flat fee (region_fees: {"浙江省": "8.00"}).
  shipping_flat           numeric(18,2) NOT NULL DEFAULT 0 CHECK (shipping_flat >= 0),
  shipping_free_over      numeric(18,2) CHECK (shipping_free_over >= 0),
  shipping_regions        jsonb NOT NULL DEFAULT '{}',
  updated_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
SELECT banyan_tenant_table('order_settings');

CREATE TABLE orders (
  tenant_id          uuid NOT NULL REFERENCES tenants (id),
  id                 uuid NOT NULL,
  order_no           text NOT NULL,
  member_id          uuid NOT NULL,
  state              text NOT NULL CHECK (state IN ('pending_payment', 'paid', 'shipped', 'completed', 'cancelled')),
  idempotency_key    text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  request_hash       bytea NOT NULL,
  currency           text NOT NULL,
  goods_amount       numeric(18,2) NOT NULL,
  level_discount     numeric(18,2) NOT NULL DEFAULT 0,
  promotion_discount numeric(18,2) NOT NULL DEFAULT 0,
  coupon_discount    numeric(18,2) NOT NULL DEFAULT 0,
  points_amount      numeric(18,2) NOT NULL DEFAULT 0,
  shipping_fee       numeric(18,2) NOT NULL DEFAULT 0,
  total              numeric(18,2) NOT NULL CHECK (total >= 0),
  paid_amount        numeric(18,2) NOT NULL DEFAULT 0,
  refunded_amount    numeric(18,2) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= paid_amount),
  coupon_id          uuid,
  points_used        bigint NOT NULL DEFAULT 0,
  address            jsonb NOT NULL,
  quote              jsonb NOT NULL,
  referrer_id        uuid,
  remark             text NOT NULL DEFAULT '',
  merchant_remark    text NOT NULL DEFAULT '',
  payment_deadline   timestamptz NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  paid_at            timestamptz,
  shipped_at         timestamptz,
  completed_at       timestamptz,
  cancelled_at       timestamptz,
  cancel_reason      text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
  CONSTRAINT orders_idempotency_key UNIQUE (tenant_id, member_id, idempotency_key),
  CONSTRAINT orders_order_no UNIQUE (tenant_id, order_no)
);
SELECT banyan_tenant_table('orders');
CREATE INDEX orders_created_idx ON orders (tenant_id, created_at DESC, id);
CREATE INDEX orders_member_idx ON orders (tenant_id, member_id, created_at DESC, id);
CREATE INDEX orders_referrer_idx ON orders (tenant_id, referrer_id) WHERE referrer_id IS NOT NULL;
CREATE INDEX orders_paid_idx ON orders (tenant_id, paid_at) WHERE paid_at IS NOT NULL;

CREATE TABLE order_lines (
  tenant_id          uuid NOT NULL REFERENCES tenants (id),
  order_id           uuid NOT NULL,
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  position           int NOT NULL,
  sku_id             uuid NOT NULL,
  product_id         uuid NOT NULL,
  category_id        uuid,
  title              text NOT NULL,
  sku_code           text NOT NULL,
  spec               text NOT NULL,
  image              text NOT NULL,
  qty                int NOT NULL CHECK (qty > 0),
  unit_price         numeric(18,2) NOT NULL,
  amount             numeric(18,2) NOT NULL,
  level_discount     numeric(18,2) NOT NULL DEFAULT 0,
  promotion_discount numeric(18,2) NOT NULL DEFAULT 0,
  coupon_discount    numeric(18,2) NOT NULL DEFAULT 0,
  points_discount    numeric(18,2) NOT NULL DEFAULT 0,
  paid_amount        numeric(18,2) NOT NULL CHECK (paid_amount >= 0),
  refunded_amount    numeric(18,2) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= paid_amount),
  refunded_qty       int NOT NULL DEFAULT 0 CHECK (refunded_qty >= 0 AND refunded_qty <= qty),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
SELECT banyan_tenant_table('order_lines');
CREATE INDEX order_lines_order_idx ON order_lines (tenant_id, order_id, position);

-- Every transition of an order: who, when, from what to what. Append-only.
CREATE TABLE order_events (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  id         bigint GENERATED ALWAYS AS IDENTITY,
  order_id   uuid NOT NULL,
  kind       text NOT NULL,
  from_state text NOT NULL DEFAULT '',
  to_state   text NOT NULL DEFAULT '',
  actor      text NOT NULL,
  actor_id   text NOT NULL DEFAULT '',
  note       text NOT NULL DEFAULT '',
  at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
SELECT banyan_tenant_table('order_events');
REVOKE UPDATE, DELETE ON order_events FROM banyan_app;
CREATE INDEX order_events_order_idx ON order_events (tenant_id, order_id, id);

-- One payment attempt with one provider. 'mismatch': the provider reported
-- another amount or currency (held in payment_suspense, never paid);
-- 'refunded': paid after the order could no longer take it, given back.
CREATE TABLE payments (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  id           uuid NOT NULL,
  order_id     uuid NOT NULL,
  provider     text NOT NULL,
  amount       numeric(18,2) NOT NULL CHECK (amount > 0),
  currency     text NOT NULL,
  status       text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'mismatch', 'refunded')),
  provider_ref text NOT NULL DEFAULT '',
  pay_url      text NOT NULL DEFAULT '',
  qr_payload   text NOT NULL DEFAULT '',
  reference    text NOT NULL DEFAULT '',
  error        text NOT NULL DEFAULT '',
  received     numeric(18,2),
  received_currency text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  settled_at   timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
SELECT banyan_tenant_table('payments');
CREATE INDEX payments_order_idx ON payments (tenant_id, order_id);

-- Each verified provider event, once: the primary key makes a replay a no-op.
-- Only outcome is ever updated (in the transaction that inserted the row).
CREATE TABLE payment_events (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  provider    text NOT NULL,
  event_id    text NOT NULL,
  payment_id  text NOT NULL,
  type        text NOT NULL,
  amount      numeric(18,2),
  currency    text NOT NULL DEFAULT '',
  outcome     text NOT NULL DEFAULT '',
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, provider, event_id)
);
SELECT banyan_tenant_table('payment_events');
REVOKE DELETE ON payment_events FROM banyan_app;

-- Money given back, through the provider of the payment.
CREATE TABLE refunds (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  id            uuid NOT NULL,
  order_id      uuid NOT NULL,
  payment_id    uuid NOT NULL,
  after_sale_id uuid,
  amount        numeric(18,2) NOT NULL CHECK (amount > 0),
  status        text NOT NULL CHECK (status IN ('succeeded', 'pending', 'failed')),
  provider_ref  text NOT NULL DEFAULT '',
  reason        text NOT NULL DEFAULT '',
  restock       boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id)
);
SELECT banyan_tenant_table('refunds');
CREATE INDEX refunds_order_idx ON refunds (tenant_id, order_id);

CREATE TABLE refund_lines (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  refund_id uuid NOT NULL,
  line_id   uuid NOT NULL,
  qty       int NOT NULL DEFAULT 0 CHECK (qty >= 0),
  amount    numeric(18,2) NOT NULL CHECK (amount > 0),
  PRIMARY KEY (tenant_id, refund_id, line_id),
  FOREIGN KEY (tenant_id, refund_id) REFERENCES refunds (tenant_id, id),
  FOREIGN KEY (tenant_id, line_id) REFERENCES order_lines (tenant_id, id)
);
SELECT banyan_tenant_table('refund_lines');

-- Parcels an order ships in (split shipping), with their tracking events.
CREATE TABLE parcels (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  order_id    uuid NOT NULL,
  carrier     text NOT NULL CHECK (length(carrier) BETWEEN 1 AND 64),
  tracking_no text NOT NULL CHECK (length(tracking_no) BETWEEN 1 AND 64),
  line_ids    uuid[] NOT NULL DEFAULT '{}',
  shipped_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
SELECT banyan_tenant_table('parcels');
CREATE INDEX parcels_order_idx ON parcels (tenant_id, order_id);

CREATE TABLE tracking_events (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  id          bigint GENERATED ALWAYS AS IDENTITY,
  parcel_id   uuid NOT NULL,
  at          timestamptz NOT NULL,
  status      text NOT NULL CHECK (length(status) BETWEEN 1 AND 32),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, parcel_id) REFERENCES parcels (tenant_id, id)
);
SELECT banyan_tenant_table('tracking_events');
CREATE INDEX tracking_events_parcel_idx ON tracking_events (tenant_id, parcel_id, at);

-- +goose Down
DROP TABLE tracking_events, parcels, refund_lines, refunds, payment_events, payments, order_events, order_lines, orders, order_settings;
