-- +goose Up
-- A broad short keyword (男装: 14% of a 100,000-product shop, relevance and
-- facet counts) still had a p95 over 50 ms. Measured on the benchmark's data
-- (backend CPU time per execution, the machine being too busy for wall
-- time): the bitmap heap scan of products reads 4,598 pages (a product row
-- is ~380 bytes: description, images, spec attributes...), and the
-- MATERIALIZED CTE that collected the matches for both the page and the
-- counts cost more than a second scan (its tuplestore: ~16 ms for 14,285
-- rows of 7 columns, against ~9 ms for the scan itself).
--
-- product_search is a narrow copy of what search reads: ~42 rows a page,
-- so the same matches are 2,376 pages. The keyword indexes move here, and
-- catalog_search no longer materialises every match (see below).
-- Triggers on products keep it exact in the same statement as every write
-- (create, update, status, price, import, bulk edits, sales recount); a
-- product's deletion cascades.
CREATE TABLE product_search (
  tenant_id   uuid NOT NULL,
  id          uuid NOT NULL,
  category_id uuid,
  price_cents bigint,
  created_at  timestamptz NOT NULL,
  sales_count bigint NOT NULL,
  status      text NOT NULL,
  search_text text,
  len         int GENERATED ALWAYS AS (length(search_text)) STORED,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
SELECT banyan_tenant_table('product_search');

INSERT INTO product_search (tenant_id, id, category_id, price_cents, created_at, sales_count, status, search_text)
SELECT tenant_id, id, category_id, price_cents, created_at, sales_count, status, search_text FROM products;

CREATE INDEX product_search_tgrams_idx ON product_search USING gin (catalog_tenant_grams(tenant_id, search_text));
CREATE INDEX product_search_trgm_idx ON product_search USING gin (search_text gin_trgm_ops);
DROP INDEX products_search_tgrams_idx;
DROP INDEX products_search_trgm_idx;

-- Statement-level, with transition tables: a bulk import or a bulk edit is
-- one set-based write, not one per product. They run as the caller, so the
-- copy goes through the same RLS as the product rows themselves.
-- +goose StatementBegin
CREATE FUNCTION product_search_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_search (tenant_id, id, category_id, price_cents, created_at, sales_count, status, search_text)
  SELECT n.tenant_id, n.id, n.category_id, n.price_cents, n.created_at, n.sales_count, n.status, n.search_text FROM new_products n;
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Only rows whose searched columns changed are written (an image added, a
-- description edited: nothing).
-- +goose StatementBegin
CREATE FUNCTION product_search_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE product_search s
  SET category_id = n.category_id, price_cents = n.price_cents, created_at = n.created_at,
      sales_count = n.sales_count, status = n.status, search_text = n.search_text
  FROM new_products n
  WHERE s.tenant_id = n.tenant_id AND s.id = n.id
    AND (s.category_id, s.price_cents, s.created_at, s.sales_count, s.status, s.search_text)
        IS DISTINCT FROM (n.category_id, n.price_cents, n.created_at, n.sales_count, n.status, n.search_text);
  RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER products_search_insert AFTER INSERT ON products
  REFERENCING NEW TABLE AS new_products FOR EACH STATEMENT EXECUTE FUNCTION product_search_insert();
CREATE TRIGGER products_search_update AFTER UPDATE ON products
  REFERENCING NEW TABLE AS new_products FOR EACH STATEMENT EXECUTE FUNCTION product_search_update();

-- catalog_search: as in 00062, but a keyword search reads product_search,
-- and a MATERIALIZED CTE only where it saves work (below). Browsing without
-- a keyword reads products and its btree indexes, as before. JIT is off:
-- a broad keyword's plan costs over jit_above_cost (装, 43% of the shop:
-- ~220,000), and compiling it took ~600 ms for a query of ~50 ms.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION catalog_search(terms text[], statuses text[], cats uuid[], min_price numeric, max_price numeric,
  in_stock boolean, sort text, after_v text, after_id uuid, lim int, facets boolean)
RETURNS TABLE (product_id uuid, score real, category_id uuid, n bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public SET jit = off AS $$
DECLARE
  termlen int := 0;
  longest int := 0;
  short text[] := '{}';
  t text;
  -- The tenant as a value, not app_tenant(): the planner then knows how
  -- many rows it has (its statistics), and picks indexes accordingly.
  tenant uuid := app_tenant();
  src text := 'products p WHERE p.tenant_id = $8';
  kw text := '';
  own text := 'p.tenant_id = $8';
  key text;
  val text;
  sc text := 'NULL::real';
  ord text := 'DESC';
  cmp text := '<';
  keyset text := '';
BEGIN
  IF tenant IS NULL THEN
    RETURN;
  END IF;
  FOREACH t IN ARRAY coalesce(terms, '{}') LOOP
    t := lower(t);
    termlen := termlen + length(t);
    longest := greatest(longest, length(t));
    kw := kw || format(' AND p.search_text LIKE %L', '%' || replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_') || '%');
    short := short || t;
  END LOOP;
  -- Words of one or two characters (common in Chinese: 男装) have no
  -- trigram for pg_trgm to look up. When every word is that short, the
  -- tenant's gram index answers exactly (a one- or two-character word is
  -- one gram). When a longer word is there, its trigrams find the
  -- candidates and the short words are checked with LIKE: never both
  -- indexes at once, because a trigram match must be rechecked, and the
  -- recheck would compute the grams of every candidate.
  IF longest BETWEEN 1 AND 2 THEN
    kw := catalog_short_words(tenant, short);
    -- The grams already select the tenant's rows; written this way the
    -- tenant filter is checked on each match but cannot be turned into a
    -- second bitmap (the primary key's: 100,000 entries to save nothing).
    own := '(p.tenant_id = $8) IS TRUE';
  END IF;
  IF kw <> '' THEN
    src := 'product_search p WHERE ' || own || kw;
  END IF;
  CASE sort
    WHEN 'relevance' THEN key := format('(%s::real / p.len)::real', termlen); val := '$5::real'; sc := key;
    WHEN 'newest' THEN key := 'p.created_at'; val := '$5::timestamptz';
    WHEN 'price_asc' THEN key := 'p.price_cents'; val := '($5::numeric * 100)::bigint'; ord := 'ASC'; cmp := '>';
    WHEN 'price_desc' THEN key := 'p.price_cents'; val := '($5::numeric * 100)::bigint';
    WHEN 'sales' THEN key := 'p.sales_count'; val := '$5::bigint';
    ELSE RAISE EXCEPTION 'catalog_search: unknown sort %', sort;
  END CASE;
  IF after_id IS NOT NULL THEN
    keyset := format(' AND (%s, p.id) %s (%s, $6)', key, cmp, val);
  END IF;
  -- The facet counts leave the category filter out, so with facets the
  -- matches are read twice: once for the page, once for the counts. When
  -- every word is short the gram index finds them exactly and the second
  -- read is just the heap pages again, cheaper than materialising every
  -- match (measured: 14,285 matches of 男装). When the candidates must be
  -- rechecked (trigrams) or probed (in stock), that work is done once: the
  -- matches that pass every filter but the category are materialised,
  -- narrow (id, category, sort key), and both parts read them.
  IF facets AND kw <> '' AND (longest > 2 OR in_stock) THEN
    RETURN QUERY EXECUTE
      format($q$WITH m AS MATERIALIZED (SELECT p.id, p.category_id, %1$s AS k FROM %2$s AND %3$s)
        (SELECT m.id, %4$s, NULL::uuid, NULL::bigint FROM m WHERE %5$s%6$s ORDER BY m.k %7$s, m.id %7$s LIMIT $7)
        UNION ALL (SELECT NULL::uuid, NULL::real, m.category_id, count(*) FROM m WHERE m.category_id IS NOT NULL GROUP BY m.category_id)$q$,
        key, src,
        catalog_search_where('p', coalesce(cardinality(statuses), 0), 0, min_price IS NOT NULL, max_price IS NOT NULL, in_stock),
        CASE WHEN sort = 'relevance' THEN 'm.k' ELSE 'NULL::real' END,
        catalog_search_where('m', 0, coalesce(cardinality(cats), 0), false, false, false),
        CASE WHEN after_id IS NOT NULL THEN format(' AND (m.k, m.id) %s (%s, $6)', cmp, val) ELSE '' END, ord)
      USING statuses, cats, min_price, max_price, after_v, after_id, lim, tenant;
    RETURN;
  END IF;
  RETURN QUERY EXECUTE
    format('(SELECT p.id, %1$s, NULL::uuid, NULL::bigint FROM %2$s AND %3$s%4$s ORDER BY %5$s %6$s, p.id %6$s LIMIT $7)',
      sc, src,
      catalog_search_where('p', coalesce(cardinality(statuses), 0), coalesce(cardinality(cats), 0), min_price IS NOT NULL, max_price IS NOT NULL, in_stock),
      keyset, key, ord) ||
    CASE WHEN facets THEN format(' UNION ALL (SELECT NULL::uuid, NULL::real, p.category_id, count(*) FROM %1$s AND %2$s AND p.category_id IS NOT NULL GROUP BY p.category_id)',
      src, catalog_search_where('p', coalesce(cardinality(statuses), 0), 0, min_price IS NOT NULL, max_price IS NOT NULL, in_stock)) ELSE '' END
    USING statuses, cats, min_price, max_price, after_v, after_id, lim, tenant;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION catalog_search(terms text[], statuses text[], cats uuid[], min_price numeric, max_price numeric,
  in_stock boolean, sort text, after_v text, after_id uuid, lim int, facets boolean)
RETURNS TABLE (product_id uuid, score real, category_id uuid, n bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  termlen int := 0;
  longest int := 0;
  short text[] := '{}';
  t text;
  a text := 'p'; -- the alias filters and sort keys refer to
  -- The tenant as a value, not app_tenant(): the planner then knows how
  -- many rows it has (its statistics), and picks indexes accordingly.
  tenant uuid := app_tenant();
  src text := 'products p WHERE p.tenant_id = $8';
  kw text := '';
  own text := 'p.tenant_id = $8';
  key text;
  val text;
  sc text := 'NULL::real';
  ord text := 'DESC';
  cmp text := '<';
  keyset text := '';
BEGIN
  IF tenant IS NULL THEN
    RETURN;
  END IF;
  FOREACH t IN ARRAY coalesce(terms, '{}') LOOP
    t := lower(t);
    termlen := termlen + length(t);
    longest := greatest(longest, length(t));
    kw := kw || format(' AND p.search_text LIKE %L', '%' || replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_') || '%');
    short := short || t;
  END LOOP;
  IF longest BETWEEN 1 AND 2 THEN
    kw := catalog_short_words(tenant, short);
    own := '(p.tenant_id = $8) IS TRUE';
  END IF;
  IF kw <> '' THEN
    a := 'm';
    src := 'm';
  END IF;
  CASE sort
    WHEN 'relevance' THEN key := format('(%s::real / %I.len)::real', termlen, a); val := '$5::real'; sc := key;
    WHEN 'newest' THEN key := format('%I.created_at', a); val := '$5::timestamptz';
    WHEN 'price_asc' THEN key := format('%I.price_cents', a); val := '($5::numeric * 100)::bigint'; ord := 'ASC'; cmp := '>';
    WHEN 'price_desc' THEN key := format('%I.price_cents', a); val := '($5::numeric * 100)::bigint';
    WHEN 'sales' THEN key := format('%I.sales_count', a); val := '$5::bigint';
    ELSE RAISE EXCEPTION 'catalog_search: unknown sort %', sort;
  END CASE;
  IF after_id IS NOT NULL THEN
    keyset := format(' AND (%s, %I.id) %s (%s, $6)', key, a, cmp, val);
  END IF;
  RETURN QUERY EXECUTE
    CASE WHEN kw <> '' THEN format($q$WITH m AS MATERIALIZED (
        SELECT p.id, p.category_id, p.status, p.price_cents, p.created_at, p.sales_count, length(p.search_text) AS len
        FROM products p WHERE %s%s)
      $q$, own, kw) ELSE '' END ||
    format('(SELECT %1$I.id, %2$s, NULL::uuid, NULL::bigint FROM %3$s AND %4$s%5$s ORDER BY %6$s %7$s, %1$I.id %7$s LIMIT $7)',
      a, sc, CASE WHEN kw <> '' THEN 'm WHERE true' ELSE src END,
      catalog_search_where(a, coalesce(cardinality(statuses), 0), coalesce(cardinality(cats), 0), min_price IS NOT NULL, max_price IS NOT NULL, in_stock),
      keyset, key, ord) ||
    CASE WHEN facets THEN format(' UNION ALL (SELECT NULL::uuid, NULL::real, %1$I.category_id, count(*) FROM %2$s AND %3$s AND %1$I.category_id IS NOT NULL GROUP BY %1$I.category_id)',
      a, CASE WHEN kw <> '' THEN 'm WHERE true' ELSE src END,
      catalog_search_where(a, coalesce(cardinality(statuses), 0), 0, min_price IS NOT NULL, max_price IS NOT NULL, in_stock)) ELSE '' END
    USING statuses, cats, min_price, max_price, after_v, after_id, lim, tenant;
END
$$;
-- +goose StatementEnd
DROP TRIGGER products_search_update ON products;
DROP TRIGGER products_search_insert ON products;
DROP FUNCTION product_search_update();
DROP FUNCTION product_search_insert();
CREATE INDEX products_search_trgm_idx ON products USING gin (search_text gin_trgm_ops);
CREATE INDEX products_search_tgrams_idx ON products USING gin (catalog_tenant_grams(tenant_id, search_text));
DROP TABLE product_search;
