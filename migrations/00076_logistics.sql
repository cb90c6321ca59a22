-- +goose Up
-- Logistics: each shop's carriers, and tracking events that can be uploaded
-- again without duplicates. Owned by core/orders.
--
-- Numbered after every migration before it (not in the 0004x orders range)
-- because goose refuses a migration numbered below one already applied.

-- A shop's carriers. code is what parcels record (parcels.carrier);
-- tracking_url, when set, is an http(s) URL with a {tracking_no} placeholder.
-- Seeded with the usual Chinese carriers the first time a shop uses them
-- (carrier_seeds remembers that, so deleting every carrier stays deleted).
CREATE TABLE carriers (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  code         text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  tracking_url text NOT NULL DEFAULT '' CHECK (length(tracking_url) <= 500),
  enabled      boolean NOT NULL DEFAULT true,
  sort_order   int NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN -100000 AND 100000),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, code)
);
SELECT banyan_tenant_table('carriers');

CREATE TABLE carrier_seeds (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  seeded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
SELECT banyan_tenant_table('carrier_seeds');

-- Where a scan happened (optional; uploads may carry it).
ALTER TABLE tracking_events ADD COLUMN location text NOT NULL DEFAULT '' CHECK (length(location) <= 100);

-- One event per parcel, time and description: re-uploading a file adds
-- nothing. Earlier duplicates (added twice through the API) are dropped,
-- keeping the first.
DELETE FROM tracking_events t USING tracking_events d
WHERE d.tenant_id = t.tenant_id AND d.parcel_id = t.parcel_id AND d.at = t.at AND d.description = t.description AND d.id < t.id;
CREATE UNIQUE INDEX tracking_events_dedupe_idx ON tracking_events (tenant_id, parcel_id, at, description);

-- +goose Down
DROP INDEX IF EXISTS tracking_events_dedupe_idx;
ALTER TABLE tracking_events DROP COLUMN IF EXISTS location;
DROP TABLE IF EXISTS carrier_seeds, carriers;
