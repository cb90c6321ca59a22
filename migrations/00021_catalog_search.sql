-- +goose Up
-- Catalogue search as one definer function. Measured on 100,000 products:
-- returning every keyword match to the caller (catalog_keyword_match) and
-- joining there left the planner blind (a function scan estimated at 1000
-- rows, rescanned per product: 0.2–1.7 s), and word_similarity() over every
-- match of a broad keyword cost ~40 µs a row. This function filters, orders
-- and pages inside, with the indexes, and returns one page of product ids
-- (and, when asked, the count per category). It still filters on
-- app_tenant() itself and returns ids and counts only: the caller reads the
-- rows under RLS.
--
-- Relevance is the share of the product's search text the keyword covers
-- (length of the words / length of the text). For a substring match this is
-- what pg_trgm's similarity() approximates (shared trigrams / all
-- trigrams), without building trigram sets for every match.
DROP FUNCTION catalog_keyword_match(text[], text);

-- catalog_search_where builds a WHERE clause over alias (products p, or
-- the keyword matches m). Every value is a parameter of the EXECUTE ($1
-- statuses, $2 categories, $3 min price, $4 max price, $8 the tenant); a
-- one-element list is compared with = so that a btree index keeps its
-- order (= ANY would need a sort of every row).
-- +goose StatementBegin
CREATE FUNCTION catalog_search_where(alias text, statuses int, cats int, has_min boolean, has_max boolean, in_stock boolean)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  w text := 'true';
BEGIN
  IF statuses = 1 THEN w := w || format(' AND %I.status = $1[1]', alias);
  ELSIF statuses > 1 THEN w := w || format(' AND %I.status = ANY($1)', alias); END IF;
  IF cats = 1 THEN w := w || format(' AND %I.category_id = $2[1]', alias);
  ELSIF cats > 1 THEN w := w || format(' AND %I.category_id = ANY($2)', alias); END IF;
  IF has_min THEN w := w || format(' AND %I.price_cents >= ceil($3 * 100)::bigint', alias); END IF;
  IF has_max THEN w := w || format(' AND %I.price_cents <= floor($4 * 100)::bigint', alias); END IF;
  IF in_stock THEN
    w := w || format(' AND EXISTS (SELECT 1 FROM skus s WHERE s.tenant_id = $8 AND s.product_id = %I.id AND s.stock > 0)', alias);
  END IF;
  RETURN w;
END
$$;
-- +goose StatementEnd

-- Under forced RLS the planner reads a column's histogram only for
-- LEAKPROOF operators, and numeric's are not: every price range was
-- estimated at one row, and a category browse sorted by price walked the
-- whole price index (0.5 s). The lowest price in cents, a bigint, has
-- leakproof comparisons; search filters and sorts on it.
ALTER TABLE products ADD COLUMN price_cents bigint GENERATED ALWAYS AS ((min_price * 100)::bigint) STORED;
DROP INDEX products_price_idx;
CREATE INDEX products_price_idx ON products (tenant_id, status, price_cents, id);

-- catalog_grams costs ~20 µs a row (plpgsql): priced at its real cost,
-- the planner reaches it through its expression index rather than calling
-- it row by row.
ALTER FUNCTION catalog_grams(text) COST 1000;

-- catalog_search returns a page of product ids in order (category_id and n
-- null), then, when facets is true, one row per category with matches
-- (product_id null; the category filter does not apply to these counts).
-- sort: relevance | newest | price_asc | price_desc | sales. after_v and
-- after_id continue after a cursor (the sort key and id of the last row).
--
-- With a keyword, the matches are found first, through the trigram index
-- (words of 3+ characters) and the gram index (shorter words), and
-- materialised; filters, order and counts then work on them. Without one,
-- the btree indexes on (tenant, status, sort key) serve the page.
-- +goose StatementBegin
CREATE FUNCTION catalog_search(terms text[], statuses text[], cats uuid[], min_price numeric, max_price numeric,
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
  -- gram index answers exactly (a one- or two-character word is one gram).
  -- When a longer word is there, its trigrams find the candidates and the
  -- short words are checked with LIKE: never both indexes at once, because
  -- a trigram match must be rechecked, and the recheck would compute the
  -- grams of every candidate.
  IF longest BETWEEN 1 AND 2 THEN
    kw := format(' AND catalog_grams(p.search_text) @> %L::text[]', short);
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
        FROM products p WHERE p.tenant_id = $8%s)
      $q$, kw) ELSE '' END ||
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

-- +goose Down
DROP FUNCTION IF EXISTS catalog_search(text[], text[], uuid[], numeric, numeric, boolean, text, text, uuid, int, boolean);
DROP FUNCTION IF EXISTS catalog_search_where(text, int, int, boolean, boolean, boolean);
ALTER FUNCTION catalog_grams(text) COST 100;
DROP INDEX products_price_idx;
ALTER TABLE products DROP COLUMN price_cents;
CREATE INDEX products_price_idx ON products (tenant_id, status, min_price, id);
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
