-- +goose Up
-- The double-entry ledger (DESIGN.md §4). Owned by core/finance.
--
-- Every movement of money is one journal entry whose lines balance (sum of
-- debits = sum of credits). Entries and lines are immutable for the app role:
-- a mistake is corrected by a reversing entry. A deferred constraint trigger
-- checks at commit that every entry touched by the transaction balances and
-- has at least two lines, so no code path (not even a buggy one) can commit
-- an unbalanced entry.

-- The chart of accounts, per tenant. core/finance creates a tenant's chart
-- lazily, in its own short transaction, the first time it posts for the
-- tenant (journal_lines reference it, so a line can never name an account
-- the chart does not have).
CREATE TABLE ledger_accounts (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  code        text NOT NULL CHECK (code ~ '^[a-z_]{1,64}$'),
  name_zh     text NOT NULL,
  name_en     text NOT NULL,
  type        text NOT NULL CHECK (type IN ('asset', 'liability', 'revenue', 'expense')),
  -- The side on which the account grows: debit for assets, expenses and
  -- contra-revenue (refunds); credit for liabilities and revenue.
  normal_side text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, code)
);
SELECT banyan_tenant_table('ledger_accounts');
REVOKE UPDATE, DELETE ON ledger_accounts FROM banyan_app;

CREATE TABLE journal_entries (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  kind       text NOT NULL CHECK (kind ~ '^[a-z_.]{1,64}$'),
  -- Idempotency: the same (kind, ref) is posted once.
  ref        text NOT NULL CHECK (length(ref) BETWEEN 1 AND 200),
  order_id   uuid,
  member_id  uuid,
  memo       text NOT NULL DEFAULT '' CHECK (length(memo) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT journal_entries_ref_key UNIQUE (tenant_id, kind, ref)
);
SELECT banyan_tenant_table('journal_entries');
REVOKE UPDATE, DELETE ON journal_entries FROM banyan_app;
CREATE INDEX journal_entries_created_idx ON journal_entries (tenant_id, created_at DESC, id);
CREATE INDEX journal_entries_order_idx ON journal_entries (tenant_id, order_id) WHERE order_id IS NOT NULL;

CREATE TABLE journal_lines (
  tenant_id  uuid NOT NULL,
  entry_id   uuid NOT NULL,
  line_no    int NOT NULL CHECK (line_no >= 1),
  account    text NOT NULL,
  -- The member id for per-distributor accounts, '' otherwise.
  party      text NOT NULL DEFAULT '',
  debit      numeric(20,4) NOT NULL DEFAULT 0 CHECK (debit >= 0),
  credit     numeric(20,4) NOT NULL DEFAULT 0 CHECK (credit >= 0),
  -- Copied from the entry so that ranges and per-account sums need no join.
  kind       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, entry_id, line_no),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES journal_entries (tenant_id, id),
  FOREIGN KEY (tenant_id, account) REFERENCES ledger_accounts (tenant_id, code),
  CHECK ((debit > 0) <> (credit > 0))
);
SELECT banyan_tenant_table('journal_lines');
REVOKE UPDATE, DELETE ON journal_lines FROM banyan_app;
CREATE INDEX journal_lines_account_idx ON journal_lines (tenant_id, account, party);
CREATE INDEX journal_lines_created_idx ON journal_lines (tenant_id, created_at);

-- The commit-time guard: every entry touched by the transaction balances
-- and has at least two lines. Deferred, so an entry's lines may be inserted
-- one by one within the transaction.
-- +goose StatementBegin
CREATE FUNCTION journal_entry_balances() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  eid uuid;
  n int;
  d numeric;
  c numeric;
BEGIN
  IF TG_TABLE_NAME = 'journal_entries' THEN
    eid := NEW.id;
  ELSE
    eid := NEW.entry_id;
  END IF;
  SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO n, d, c
  FROM journal_lines WHERE tenant_id = NEW.tenant_id AND entry_id = eid;
  IF n < 2 THEN
    RAISE EXCEPTION 'journal entry % has % line(s); at least two are needed', eid, n
      USING ERRCODE = '23514', CONSTRAINT = 'journal_entry_balanced';
  END IF;
  IF d <> c THEN
    RAISE EXCEPTION 'journal entry % does not balance: debits % credits %', eid, d, c
      USING ERRCODE = '23514', CONSTRAINT = 'journal_entry_balanced';
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balances();
CREATE CONSTRAINT TRIGGER journal_lines_balanced AFTER INSERT ON journal_lines
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balances();

-- Platform-wide figures per tenant for operators (RLS hides other tenants'
-- rows from the app role; this is the narrow, read-only way across). GMV and
-- order counts come from payment entries (kind 'payment'): what customers
-- paid, net of nothing; refunds are reported apart.
CREATE FUNCTION platform_finance_report(t_from timestamptz, t_to timestamptz)
RETURNS TABLE (tenant_id uuid, gmv numeric, orders bigint, refunds numeric, commission numeric, platform_fees numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT l.tenant_id,
         coalesce(sum(l.debit) FILTER (WHERE l.account = 'customer_payments_clearing' AND l.kind = 'payment'), 0),
         (SELECT count(DISTINCT e.order_id) FROM journal_entries e
           WHERE e.tenant_id = l.tenant_id AND e.kind = 'payment' AND e.created_at >= t_from AND e.created_at < t_to),
         coalesce(sum(l.debit - l.credit) FILTER (WHERE l.account = 'refunds'), 0),
         coalesce(sum(l.debit - l.credit) FILTER (WHERE l.account = 'commission_expense'), 0),
         coalesce(sum(l.debit - l.credit) FILTER (WHERE l.account = 'platform_fees'), 0)
  FROM journal_lines l
  WHERE l.created_at >= t_from AND l.created_at < t_to
  GROUP BY l.tenant_id
$$;
REVOKE ALL ON FUNCTION platform_finance_report(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_finance_report(timestamptz, timestamptz) TO banyan_app;

-- +goose Down
DROP FUNCTION IF EXISTS platform_finance_report(timestamptz, timestamptz);
DROP TABLE IF EXISTS journal_lines, journal_entries, ledger_accounts CASCADE;
DROP FUNCTION IF EXISTS journal_entry_balances();
