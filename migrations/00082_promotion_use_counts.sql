-- +goose Up
-- An unlimited campaign's uses were counted from promotion_usages on every
-- read of the campaign — every quote and every order of the shop — so that
-- read grew with the campaign's success (a million uses: a million index
-- entries per quote). A counter on the campaign row would be one row every
-- order of the shop updates. Instead each use adds 1 to one of 64 shard
-- rows (by order id), from a trigger, in the transaction that records the
-- use: a read sums at most 64 rows and concurrent orders rarely meet on one.
CREATE TABLE promotion_use_counts (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  campaign_id uuid NOT NULL,
  shard       smallint NOT NULL CHECK (shard BETWEEN 0 AND 63),
  n           bigint NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id, shard),
  FOREIGN KEY (tenant_id, campaign_id) REFERENCES promotion_campaigns (tenant_id, id)
);
SELECT banyan_tenant_table('promotion_use_counts');

-- +goose StatementBegin
CREATE FUNCTION promotion_usages_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO promotion_use_counts AS c (tenant_id, campaign_id, shard, n)
    VALUES (NEW.tenant_id, NEW.campaign_id, hashtext(NEW.order_id::text) & 63, 1)
    ON CONFLICT (tenant_id, campaign_id, shard) DO UPDATE SET n = c.n + 1;
  ELSE
    UPDATE promotion_use_counts SET n = n - 1
    WHERE tenant_id = OLD.tenant_id AND campaign_id = OLD.campaign_id AND shard = hashtext(OLD.order_id::text) & 63;
  END IF;
  RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER promotion_usages_count AFTER INSERT OR DELETE ON promotion_usages
  FOR EACH ROW EXECUTE FUNCTION promotion_usages_count();

INSERT INTO promotion_use_counts (tenant_id, campaign_id, shard, n)
SELECT tenant_id, campaign_id, hashtext(order_id::text) & 63, count(*) FROM promotion_usages GROUP BY 1, 2, 3;

-- +goose Down
DROP TRIGGER promotion_usages_count ON promotion_usages;
DROP FUNCTION promotion_usages_count();
DROP TABLE promotion_use_counts;
