-- +goose Up
-- Coupons: templates defined by the merchant and the coupons members hold.
-- Owned by core/marketing.

CREATE TABLE coupon_templates (
  tenant_id        uuid NOT NULL REFERENCES tenants (id),
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  description      text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  -- 'fixed': amount off; 'percent': percent off (0 < percent <= 100), capped
  -- by max_discount when set. Either applies only from min_spend (the threshold).
  kind             text NOT NULL CHECK (kind IN ('fixed', 'percent')),
  amount           numeric(18,2) NOT NULL DEFAULT 0 CHECK (amount >= 0),
  percent          numeric(5,2) NOT NULL DEFAULT 0 CHECK (percent >= 0 AND percent <= 100),
  max_discount     numeric(18,2) CHECK (max_discount > 0),
  min_spend        numeric(18,2) NOT NULL DEFAULT 0 CHECK (min_spend >= 0),
  -- Validity: a fixed window (valid_from/valid_until), or valid_days after
  -- the coupon is claimed or issued (bounded by valid_until when set).
  valid_from       timestamptz,
  valid_until      timestamptz,
  valid_days       int CHECK (valid_days BETWEEN 1 AND 3650),
  total_quantity   int CHECK (total_quantity >= 0),
  issued_count     int NOT NULL DEFAULT 0 CHECK (issued_count >= 0),
  per_member_limit int NOT NULL DEFAULT 1 CHECK (per_member_limit BETWEEN 1 AND 100),
  scope            text NOT NULL DEFAULT 'all' CHECK (scope IN ('all', 'categories', 'products')),
  scope_ids        uuid[] NOT NULL DEFAULT '{}',
  claimable        boolean NOT NULL DEFAULT true,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (total_quantity IS NULL OR issued_count <= total_quantity),
  CHECK ((kind = 'fixed' AND amount > 0) OR (kind = 'percent' AND percent > 0)),
  CHECK (valid_days IS NOT NULL OR valid_until IS NOT NULL),
  CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until)
);
SELECT banyan_tenant_table('coupon_templates');
CREATE INDEX coupon_templates_created_idx ON coupon_templates (tenant_id, created_at DESC, id);

CREATE TABLE coupons (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  template_id uuid NOT NULL,
  member_id   uuid NOT NULL,
  -- 'used' while an order holds it (LockCoupon); ReleaseCoupon on cancel
  -- makes it 'unused' again. 'expired' is never stored: it is shown when an
  -- unused coupon is past valid_until.
  status      text NOT NULL DEFAULT 'unused' CHECK (status IN ('unused', 'used')),
  source      text NOT NULL CHECK (source IN ('claim', 'issue')),
  valid_from  timestamptz NOT NULL,
  valid_until timestamptz NOT NULL,
  order_id    uuid,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, template_id) REFERENCES coupon_templates (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
  CHECK ((status = 'used') = (order_id IS NOT NULL))
);
SELECT banyan_tenant_table('coupons');
CREATE INDEX coupons_member_idx ON coupons (tenant_id, member_id, created_at DESC, id);
CREATE INDEX coupons_template_member_idx ON coupons (tenant_id, template_id, member_id);
CREATE INDEX coupons_order_idx ON coupons (tenant_id, order_id) WHERE order_id IS NOT NULL;

-- +goose Down
DROP TABLE IF EXISTS coupons, coupon_templates CASCADE;
