-- +goose Up
-- Catalogue: categories, products (SPU) and their SKUs, import/export jobs,
-- and the product views and purchases recommendations read. Owned by
-- core/catalog.

-- The lower-cased text a product is searched by. IMMUTABLE so it can back a
-- generated column (array_to_string is only STABLE in general; over text[]
-- it is immutable).
CREATE FUNCTION catalog_search_text(title text, subtitle text, brand text, tags text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(regexp_replace(concat_ws(' ', title, subtitle, brand, array_to_string(tags, ' ')), '\s+', ' ', 'g'))
$$;

-- The unigrams and bigrams of a search text (spaces separate words). pg_trgm
-- cannot index a pattern shorter than three characters, and two-character
-- words are the common case in Chinese (男装, 衬衫): a GIN index over these
-- grams answers them. ~20 µs a product.
-- +goose StatementBegin
CREATE FUNCTION catalog_grams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  out text[] := '{}';
  c text := substr(t, 1, 1);
  d text;
BEGIN
  FOR i IN 1..coalesce(length(t), 0) LOOP
    d := substr(t, i + 1, 1);
    IF c <> ' ' THEN
      out := out || c;
      IF d <> ' ' AND d <> '' THEN
        out := out || (c || d);
      END IF;
    END IF;
    c := d;
  END LOOP;
  RETURN out;
END
$$;
-- +goose StatementEnd

CREATE TABLE categories (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  parent_id  uuid,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 32 AND strpos(name, '/') = 0),
  depth      smallint NOT NULL CHECK (depth BETWEEN 1 AND 3),
  sort       int NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES categories (tenant_id, id),
  CONSTRAINT categories_name_key UNIQUE NULLS NOT DISTINCT (tenant_id, parent_id, name)
);
SELECT banyan_tenant_table('categories');

CREATE TABLE products (
  tenant_id         uuid NOT NULL REFERENCES tenants (id),
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  -- The merchant's product code; groups the rows of an import file.
  code              text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  category_id       uuid,
  title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  subtitle          text NOT NULL DEFAULT '' CHECK (length(subtitle) <= 500),
  description       text NOT NULL DEFAULT '', -- sanitised HTML
  brand             text NOT NULL DEFAULT '' CHECK (length(brand) <= 64),
  tags              text[] NOT NULL DEFAULT '{}',
  images            text[] NOT NULL DEFAULT '{}',
  status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'on_sale', 'off_shelf')),
  -- [{"name": "颜色", "values": ["红", "蓝"]}, ...], in display order.
  spec_attrs        jsonb NOT NULL DEFAULT '[]',
  distribution_mode text NOT NULL DEFAULT 'default' CHECK (distribution_mode IN ('default', 'override', 'none')),
  -- Commission rate per level (1..3) when distribution_mode = 'override'.
  commission_rates  numeric(5,4)[] NOT NULL DEFAULT '{}',
  points_price      int CHECK (points_price > 0),
  -- Orders that included the product; recomputed from catalog_purchases by a
  -- job, so an order never updates a shared counter.
  sales_count       bigint NOT NULL DEFAULT 0 CHECK (sales_count >= 0),
  -- The lowest and highest SKU price, kept by every write of SKU prices.
  min_price         numeric(18,2) NOT NULL DEFAULT 0,
  max_price         numeric(18,2) NOT NULL DEFAULT 0,
  search_text       text GENERATED ALWAYS AS (catalog_search_text(title, subtitle, brand, tags)) STORED,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT products_code_key UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id),
  CHECK ((distribution_mode = 'override') = (cardinality(commission_rates) BETWEEN 1 AND 3)),
  CHECK (cardinality(tags) <= 20 AND cardinality(images) <= 20)
);
SELECT banyan_tenant_table('products');
CREATE INDEX products_search_trgm_idx ON products USING gin (search_text gin_trgm_ops);
CREATE INDEX products_search_grams_idx ON products USING gin (catalog_grams(search_text));
CREATE INDEX products_category_idx ON products (tenant_id, status, category_id);
CREATE INDEX products_newest_idx ON products (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX products_price_idx ON products (tenant_id, status, min_price, id);
CREATE INDEX products_sales_idx ON products (tenant_id, status, sales_count DESC, id DESC);
CREATE INDEX products_admin_newest_idx ON products (tenant_id, created_at DESC, id DESC);

CREATE TABLE skus (
  tenant_id      uuid NOT NULL,
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  product_id     uuid NOT NULL,
  code           text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  -- "颜色:红;尺码:L" in the order of the product's spec_attrs; '' for a
  -- product without specs (then it has exactly one SKU).
  spec           text NOT NULL DEFAULT '' CHECK (length(spec) <= 200),
  price          numeric(18,2) NOT NULL CHECK (price >= 0),
  original_price numeric(18,2) CHECK (original_price >= 0),
  cost           numeric(18,2) CHECK (cost >= 0),
  -- Changed only by single conditional UPDATEs (Reserve / Release / admin set).
  stock          int NOT NULL DEFAULT 0 CHECK (stock >= 0),
  weight         numeric(10,3) CHECK (weight >= 0), -- kg
  image          text NOT NULL DEFAULT '',
  position       int NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT skus_code_key UNIQUE (tenant_id, code),
  CONSTRAINT skus_spec_key UNIQUE (tenant_id, product_id, spec),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
SELECT banyan_tenant_table('skus');
CREATE INDEX skus_product_idx ON skus (tenant_id, product_id, position);

-- Imports and exports, and their progress (the job itself is a River job).
CREATE TABLE catalog_imports (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  kind        text NOT NULL DEFAULT 'import' CHECK (kind IN ('import', 'export')),
  status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  format      text NOT NULL CHECK (format IN ('csv', 'xlsx')),
  file_name   text NOT NULL DEFAULT '',
  file_path   text NOT NULL DEFAULT '',
  total       int NOT NULL DEFAULT 0,
  done        int NOT NULL DEFAULT 0,
  errors      jsonb NOT NULL DEFAULT '[]',
  created_by  text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
SELECT banyan_tenant_table('catalog_imports');
CREATE INDEX catalog_imports_created_idx ON catalog_imports (tenant_id, created_at DESC, id DESC);

-- One row per viewer and product: viewer is 'm:{member id}' or 'v:{visitor id}'.
CREATE TABLE product_views (
  tenant_id  uuid NOT NULL,
  viewer     text NOT NULL CHECK (viewer ~ '^[mv]:[A-Za-z0-9_-]{8,64}$'),
  product_id uuid NOT NULL,
  views      int NOT NULL DEFAULT 1,
  viewed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, viewer, product_id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
SELECT banyan_tenant_table('product_views');
CREATE INDEX product_views_recent_idx ON product_views (tenant_id, viewer, viewed_at DESC);
CREATE INDEX product_views_product_idx ON product_views (tenant_id, product_id, viewed_at DESC);

-- The products of each order, written by catalog.RecordPurchase in the
-- order's transaction: insert-only, so orders never contend on a shared
-- co-purchase counter. "Bought together" and sales_count are read from it.
CREATE TABLE catalog_purchases (
  tenant_id  uuid NOT NULL,
  order_id   uuid NOT NULL,
  product_id uuid NOT NULL,
  member_id  uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id, product_id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
SELECT banyan_tenant_table('catalog_purchases');
CREATE INDEX catalog_purchases_product_idx ON catalog_purchases (tenant_id, product_id, created_at DESC);
CREATE INDEX catalog_purchases_member_idx ON catalog_purchases (tenant_id, member_id, created_at DESC);

-- Keyword matching for catalogue search. pg_trgm's operators are not
-- LEAKPROOF, so under forced RLS the planner may not use them as index
-- conditions and every search would scan the tenant's products. This
-- definer function (owner: policy owner_access) uses the indexes, filters
-- on app_tenant() itself, and returns product ids and a score only: the
-- caller reads the rows under RLS, so a bug here cannot leak a row.
-- terms are the keyword's words; kw the whole keyword (for the score).
-- +goose StatementBegin
CREATE FUNCTION catalog_keyword_match(terms text[], kw text) RETURNS TABLE (product_id uuid, score real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  q text := 'SELECT p.id, word_similarity($1, p.search_text) FROM products p WHERE p.tenant_id = app_tenant()';
  t text;
BEGIN
  IF app_tenant() IS NULL OR coalesce(cardinality(terms), 0) = 0 THEN
    RETURN;
  END IF;
  FOREACH t IN ARRAY terms LOOP
    t := lower(t);
    IF length(t) < 3 THEN
      q := q || format(' AND catalog_grams(p.search_text) @> %L::text[]', ARRAY[t]);
    END IF;
    q := q || format(' AND p.search_text LIKE %L', '%' || replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_') || '%');
  END LOOP;
  RETURN QUERY EXECUTE q USING lower(kw);
END
$$;
-- +goose StatementEnd

-- Platform usage now counts real products.
CREATE OR REPLACE FUNCTION platform_tenant_usage(ids uuid[]) RETURNS TABLE (tenant_id uuid, staff bigint, members bigint, products bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT t.id,
         (SELECT count(*) FROM tenant_staff s WHERE s.tenant_id = t.id),
         (SELECT count(*) FROM members m WHERE m.tenant_id = t.id),
         (SELECT count(*) FROM products p WHERE p.tenant_id = t.id)
  FROM unnest(ids) AS t(id)
$$;

-- +goose Down
CREATE OR REPLACE FUNCTION platform_tenant_usage(ids uuid[]) RETURNS TABLE (tenant_id uuid, staff bigint, members bigint, products bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT t.id,
         (SELECT count(*) FROM tenant_staff s WHERE s.tenant_id = t.id),
         (SELECT count(*) FROM members m WHERE m.tenant_id = t.id),
         0::bigint
  FROM unnest(ids) AS t(id)
$$;
DROP FUNCTION IF EXISTS catalog_keyword_match(text[], text);
DROP TABLE IF EXISTS catalog_purchases, product_views, catalog_imports, skus, products, categories;
DROP FUNCTION IF EXISTS catalog_grams(text), catalog_search_text(text, text, text, text[]);
