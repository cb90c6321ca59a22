-- +goose Up
-- Promotion campaigns: each is run by one promotion plugin, with a config
-- the plugin's campaign_schema describes. core/promotions owns these tables.
CREATE TABLE promotion_campaigns (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  description    text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  plugin         text NOT NULL,
  config         jsonb NOT NULL DEFAULT '{}',
  starts_at      timestamptz,
  ends_at        timestamptz,
  priority       int NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 10000),
  stacking_group text NOT NULL DEFAULT '' CHECK (length(stacking_group) <= 32),
  exclusive      boolean NOT NULL DEFAULT false,
  usage_limit    bigint NOT NULL DEFAULT 0 CHECK (usage_limit >= 0),
  -- Kept only for limited campaigns (usage_limit > 0), by one conditional
  -- UPDATE per order: an unlimited campaign has no hot counter row.
  used_count     bigint NOT NULL DEFAULT 0 CHECK (used_count >= 0),
  status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'ended')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at),
  CONSTRAINT promotion_campaigns_limit_check CHECK (usage_limit = 0 OR used_count <= usage_limit)
);
SELECT banyan_tenant_table('promotion_campaigns');
CREATE INDEX promotion_campaigns_list_idx ON promotion_campaigns (tenant_id, created_at DESC, id);
CREATE INDEX promotion_campaigns_active_idx ON promotion_campaigns (tenant_id, plugin) WHERE status = 'active';

-- One row per (order, campaign) an order used: makes RecordUsage idempotent
-- per order and gives the per-member usage counts.
CREATE TABLE promotion_usages (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  order_id    uuid NOT NULL,
  campaign_id uuid NOT NULL,
  member_id   uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id, campaign_id),
  FOREIGN KEY (tenant_id, campaign_id) REFERENCES promotion_campaigns (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
SELECT banyan_tenant_table('promotion_usages');
CREATE INDEX promotion_usages_member_idx ON promotion_usages (tenant_id, member_id, campaign_id);
CREATE INDEX promotion_usages_campaign_idx ON promotion_usages (tenant_id, campaign_id);

-- +goose Down
DROP TABLE IF EXISTS promotion_usages, promotion_campaigns;
