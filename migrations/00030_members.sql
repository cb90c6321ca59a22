-- +goose Up
-- Members: profile, levels, tags, addresses, the points ledger and its
-- settings. Owned by core/members.

CREATE TABLE member_levels (
  tenant_id         uuid NOT NULL REFERENCES tenants (id),
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
  rank              int  NOT NULL CHECK (rank BETWEEN 0 AND 99),
  -- A member reaches the level when their cumulative paid spend (threshold_kind
  -- 'spend', currency units) or growth value ('growth') is at least threshold.
  threshold_kind    text NOT NULL CHECK (threshold_kind IN ('spend', 'growth')),
  threshold         numeric(18,2) NOT NULL CHECK (threshold >= 0),
  -- Price factor applied to the member's prices: 0.95 = 5% off, 1 = none.
  price_factor      numeric(5,4) NOT NULL DEFAULT 1 CHECK (price_factor > 0 AND price_factor <= 1),
  points_multiplier numeric(6,2) NOT NULL DEFAULT 1 CHECK (points_multiplier >= 0 AND points_multiplier <= 100),
  free_shipping     boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT member_levels_rank_key UNIQUE (tenant_id, rank),
  CONSTRAINT member_levels_name_key UNIQUE (tenant_id, name)
);
SELECT banyan_tenant_table('member_levels');

-- Members without phone or email exist now: third-party login creates them
-- with only a linked identity (member_identities), which the service checks.
ALTER TABLE members DROP CONSTRAINT members_check;
ALTER TABLE members
  ADD COLUMN avatar_url  text NOT NULL DEFAULT '' CHECK (length(avatar_url) <= 1024),
  ADD COLUMN gender      text NOT NULL DEFAULT 'unknown' CHECK (gender IN ('unknown', 'male', 'female')),
  ADD COLUMN birthday    date,
  -- Set by the distribution capability (binding); never by the member.
  ADD COLUMN referrer_id uuid,
  ADD COLUMN level_id    uuid,
  -- Cumulative paid amount and growth value of completed orders
  -- (member_order_credits holds the per-order record they sum).
  ADD COLUMN total_spend numeric(18,2) NOT NULL DEFAULT 0,
  ADD COLUMN growth      bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT members_referrer_fkey FOREIGN KEY (tenant_id, referrer_id) REFERENCES members (tenant_id, id),
  ADD CONSTRAINT members_level_fkey FOREIGN KEY (tenant_id, level_id) REFERENCES member_levels (tenant_id, id),
  ADD CONSTRAINT members_referrer_self CHECK (referrer_id IS NULL OR referrer_id <> id);
CREATE INDEX members_level_idx ON members (tenant_id, level_id, id);
CREATE INDEX members_referrer_idx ON members (tenant_id, referrer_id) WHERE referrer_id IS NOT NULL;
CREATE INDEX members_search_trgm_idx ON members USING gin (lower(name || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '')) gin_trgm_ops);

-- Every level change, automatic or manual. Append-only.
CREATE TABLE member_level_history (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  id            bigint GENERATED ALWAYS AS IDENTITY,
  member_id     uuid NOT NULL,
  from_level_id uuid,
  to_level_id   uuid,
  from_name     text NOT NULL DEFAULT '',
  to_name       text NOT NULL DEFAULT '',
  reason        text NOT NULL CHECK (reason IN ('register', 'order', 'rule', 'manual')),
  order_id      uuid,
  actor_id      text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
SELECT banyan_tenant_table('member_level_history');
REVOKE UPDATE, DELETE ON member_level_history FROM banyan_app;
CREATE INDEX member_level_history_member_idx ON member_level_history (tenant_id, member_id, id DESC);

-- One row per completed order counted towards a member's spend and growth:
-- the primary key is what makes RecordCompletedOrder idempotent. Append-only.
CREATE TABLE member_order_credits (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  order_id    uuid NOT NULL,
  member_id   uuid NOT NULL,
  paid_amount numeric(18,2) NOT NULL CHECK (paid_amount >= 0),
  growth      bigint NOT NULL CHECK (growth >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
SELECT banyan_tenant_table('member_order_credits');
REVOKE UPDATE, DELETE ON member_order_credits FROM banyan_app;

CREATE TABLE member_tags (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT member_tags_name_key UNIQUE (tenant_id, name)
);
SELECT banyan_tenant_table('member_tags');

CREATE TABLE member_tag_links (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  member_id  uuid NOT NULL,
  tag_id     uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, member_id, tag_id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, tag_id) REFERENCES member_tags (tenant_id, id) ON DELETE CASCADE
);
SELECT banyan_tenant_table('member_tag_links');
CREATE INDEX member_tag_links_tag_idx ON member_tag_links (tenant_id, tag_id, member_id);

CREATE TABLE member_addresses (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  member_id   uuid NOT NULL,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
  phone       text NOT NULL,
  province    text NOT NULL CHECK (length(province) BETWEEN 1 AND 32),
  city        text NOT NULL CHECK (length(city) BETWEEN 1 AND 32),
  district    text NOT NULL DEFAULT '' CHECK (length(district) <= 32),
  detail      text NOT NULL CHECK (length(detail) BETWEEN 1 AND 200),
  postal_code text NOT NULL DEFAULT '' CHECK (postal_code ~ '^[0-9A-Za-z -]{0,12}$'),
  is_default  boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
);
SELECT banyan_tenant_table('member_addresses');
CREATE INDEX member_addresses_member_idx ON member_addresses (tenant_id, member_id, created_at);
-- At most one default address per member, whatever the races.
CREATE UNIQUE INDEX member_addresses_default_key ON member_addresses (tenant_id, member_id) WHERE is_default;

-- The points ledger: every change of a member's points is one inserted row;
-- the balance is their sum. Append-only (a mistake is corrected by another
-- row). (order_id, kind, ref) makes order-driven rows idempotent.
CREATE TABLE member_points (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  id            bigint GENERATED ALWAYS AS IDENTITY,
  member_id     uuid NOT NULL,
  delta         bigint NOT NULL CHECK (delta <> 0),
  balance_after bigint NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('earn', 'earn_reversal', 'spend', 'spend_refund', 'exchange', 'exchange_refund', 'adjust', 'expire')),
  order_id      uuid,
  ref           text NOT NULL DEFAULT '',
  reason        text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
  -- Credits expire at this time when the shop sets an expiry (FIFO by expiry).
  expires_at    timestamptz,
  actor_id      text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
  CHECK (expires_at IS NULL OR delta > 0)
);
SELECT banyan_tenant_table('member_points');
REVOKE UPDATE, DELETE ON member_points FROM banyan_app;
CREATE INDEX member_points_member_idx ON member_points (tenant_id, member_id, id DESC);
CREATE UNIQUE INDEX member_points_order_key ON member_points (tenant_id, member_id, order_id, kind, ref) WHERE order_id IS NOT NULL;

-- Per-shop points rules. No row = the defaults below.
CREATE TABLE points_settings (
  tenant_id         uuid NOT NULL REFERENCES tenants (id),
  earn_per_unit     numeric(10,4) NOT NULL DEFAULT 1 CHECK (earn_per_unit >= 0 AND earn_per_unit <= 10000),
  growth_per_unit   numeric(10,4) NOT NULL DEFAULT 1 CHECK (growth_per_unit >= 0 AND growth_per_unit <= 10000),
  redeem_enabled    boolean NOT NULL DEFAULT true,
  points_per_unit   int NOT NULL DEFAULT 100 CHECK (points_per_unit BETWEEN 1 AND 1000000),
  max_redeem_share  numeric(5,4) NOT NULL DEFAULT 0.5 CHECK (max_redeem_share >= 0 AND max_redeem_share <= 1),
  expiry_months     int NOT NULL DEFAULT 0 CHECK (expiry_months BETWEEN 0 AND 120),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
SELECT banyan_tenant_table('points_settings');

-- +goose Down
DROP TABLE IF EXISTS points_settings, member_points, member_addresses, member_tag_links, member_tags,
  member_order_credits, member_level_history CASCADE;
ALTER TABLE members DROP CONSTRAINT IF EXISTS members_level_fkey, DROP CONSTRAINT IF EXISTS members_referrer_fkey,
  DROP CONSTRAINT IF EXISTS members_referrer_self,
  DROP COLUMN IF EXISTS avatar_url, DROP COLUMN IF EXISTS gender, DROP COLUMN IF EXISTS birthday,
  DROP COLUMN IF EXISTS referrer_id, DROP COLUMN IF EXISTS level_id, DROP COLUMN IF EXISTS total_spend,
  DROP COLUMN IF EXISTS growth;
DROP TABLE IF EXISTS member_levels CASCADE;
