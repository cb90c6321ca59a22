-- +goose Up
-- Issuing a coupon to a level or a tag runs as a background job (River),
-- one transaction per batch of members. coupon_issues is the job's record
-- and its progress; after_member is where the next batch starts, moved in
-- the same transaction as the batch's coupons, so a retried or duplicated
-- job carries on where the last committed batch ended. Owned by
-- core/marketing.
CREATE TABLE coupon_issues (
  tenant_id        uuid NOT NULL REFERENCES tenants (id),
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  template_id      uuid NOT NULL,
  level_id         uuid,
  tag_id           uuid,
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  -- Active members of the audience when the issue was asked for; set to
  -- the number walked when done.
  total            int NOT NULL DEFAULT 0 CHECK (total >= 0),
  targeted         int NOT NULL DEFAULT 0 CHECK (targeted >= 0),
  issued           int NOT NULL DEFAULT 0 CHECK (issued >= 0),
  skipped_limit    int NOT NULL DEFAULT 0 CHECK (skipped_limit >= 0),
  skipped_quantity int NOT NULL DEFAULT 0 CHECK (skipped_quantity >= 0),
  after_member     uuid,
  error            text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, template_id) REFERENCES coupon_templates (tenant_id, id),
  CHECK ((level_id IS NULL) <> (tag_id IS NULL)),
  CHECK (targeted = issued + skipped_limit + skipped_quantity)
);
SELECT banyan_tenant_table('coupon_issues');
CREATE INDEX coupon_issues_template_idx ON coupon_issues (tenant_id, template_id, created_at DESC, id);

-- The issue a coupon came from: at most one coupon per member and issue,
-- whatever runs twice.
ALTER TABLE coupons ADD COLUMN issue_id uuid;
ALTER TABLE coupons ADD FOREIGN KEY (tenant_id, issue_id) REFERENCES coupon_issues (tenant_id, id);
CREATE UNIQUE INDEX coupons_issue_member_key ON coupons (tenant_id, issue_id, member_id) WHERE issue_id IS NOT NULL;

-- +goose Down
ALTER TABLE coupons DROP COLUMN issue_id;
DROP TABLE IF EXISTS coupon_issues;
