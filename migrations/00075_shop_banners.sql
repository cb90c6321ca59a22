-- +goose Up
-- The storefront home's banners, managed by the merchant in shop settings:
-- [{image, link, title, sort}], at most 10, validated by core/tenants.
ALTER TABLE tenants ADD COLUMN banners jsonb NOT NULL DEFAULT '[]'
  CHECK (jsonb_typeof(banners) = 'array' AND jsonb_array_length(banners) <= 10);

-- +goose Down
ALTER TABLE tenants DROP COLUMN banners;
