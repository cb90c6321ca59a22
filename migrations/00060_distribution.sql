-- +goose Up
-- The distributor network and its money (DESIGN.md §6). Owned by
-- core/distribution. Money movements are journal entries (core/finance);
-- these tables hold the business state the entries are about.

-- One row per shop: the settings document (validated by core/distribution;
-- unknown fields are refused there, so no per-head reward or entry fee can
-- ever be stored).
CREATE TABLE distribution_settings (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  settings   jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
SELECT banyan_tenant_table('distribution_settings');

CREATE TABLE distributor_grades (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
  rank          int NOT NULL CHECK (rank BETWEEN 0 AND 100),
  -- Rates per level (index 0 = level 1) as decimal strings, 0 ≤ r ≤ 1.
  rates         jsonb NOT NULL DEFAULT '[]',
  -- Upgrade conditions (all that are set must hold): team size (direct and
  -- indirect members within the depth) and referred sales (paid amounts of
  -- the orders they earned level-1 commission on, net of refunds).
  min_team_size     int NOT NULL DEFAULT 0 CHECK (min_team_size >= 0),
  min_referred_sales numeric(18,2) NOT NULL DEFAULT 0 CHECK (min_referred_sales >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT distributor_grades_name_key UNIQUE (tenant_id, name),
  CONSTRAINT distributor_grades_rank_key UNIQUE (tenant_id, rank)
);
SELECT banyan_tenant_table('distributor_grades');

-- A member's distributor record: the application and, once approved, the
-- distributor. status: pending (applied, awaiting review), active,
-- rejected (may apply again), disabled (by the merchant).
CREATE TABLE distributors (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  member_id     uuid NOT NULL,
  status        text NOT NULL CHECK (status IN ('pending', 'active', 'rejected', 'disabled')),
  code          text NOT NULL CHECK (code ~ '^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6,12}$'),
  real_name     text NOT NULL DEFAULT '' CHECK (length(real_name) <= 32),
  phone         text NOT NULL DEFAULT '' CHECK (length(phone) <= 32),
  reason        text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  reject_reason text NOT NULL DEFAULT '' CHECK (length(reject_reason) <= 500),
  grade_id      uuid,
  source        text NOT NULL CHECK (source IN ('application', 'automatic', 'designated')),
  reviewed_by   uuid,
  applied_at    timestamptz NOT NULL DEFAULT now(),
  reviewed_at   timestamptz,
  approved_at   timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, member_id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
  FOREIGN KEY (tenant_id, grade_id) REFERENCES distributor_grades (tenant_id, id),
  CONSTRAINT distributors_code_key UNIQUE (tenant_id, code)
);
SELECT banyan_tenant_table('distributors');
CREATE INDEX distributors_status_idx ON distributors (tenant_id, status, applied_at DESC, member_id);

-- The current referrer of each bound member.
CREATE TABLE distribution_referrers (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  member_id    uuid NOT NULL,
  referrer_id  uuid NOT NULL,
  source       text NOT NULL CHECK (source IN ('link', 'registration', 'order', 'api', 'merchant')),
  bound_at     timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, member_id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
  FOREIGN KEY (tenant_id, referrer_id) REFERENCES members (tenant_id, id),
  CHECK (member_id <> referrer_id)
);
SELECT banyan_tenant_table('distribution_referrers');
CREATE INDEX distribution_referrers_referrer_idx ON distribution_referrers (tenant_id, referrer_id);

-- Every binding change, append-only.
CREATE TABLE distribution_bindings (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  id           bigint GENERATED ALWAYS AS IDENTITY,
  member_id    uuid NOT NULL,
  old_referrer uuid,
  new_referrer uuid NOT NULL,
  source       text NOT NULL,
  code         text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
SELECT banyan_tenant_table('distribution_bindings');
REVOKE UPDATE, DELETE ON distribution_bindings FROM banyan_app;
CREATE INDEX distribution_bindings_member_idx ON distribution_bindings (tenant_id, member_id, id);

-- One row per distributor, locked FOR UPDATE by withdrawals so that two
-- requests can never overdraw (not on the order path: no hot row there).
CREATE TABLE distributor_accounts (
  tenant_id  uuid NOT NULL,
  member_id  uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, member_id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES distributors (tenant_id, member_id)
);
SELECT banyan_tenant_table('distributor_accounts');

-- Which orders the commission job has computed (the job's idempotency).
CREATE TABLE commission_runs (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  order_id    uuid NOT NULL,
  plugin      text NOT NULL,
  beneficiaries int NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id)
);
SELECT banyan_tenant_table('commission_runs');

-- One commission: one line, one beneficiary, one level, with the rule set
-- in force snapshotted. amount is what the plugin proposed; refunded is
-- what refunds took back (voided while frozen, reversed once available);
-- line_refunded is the line's refunded paid amount so far.
CREATE TABLE commissions (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  order_id       uuid NOT NULL,
  order_no       text NOT NULL DEFAULT '',
  line_id        text NOT NULL,
  buyer_id       uuid NOT NULL,
  beneficiary_id uuid NOT NULL,
  level          int NOT NULL CHECK (level BETWEEN 1 AND 3),
  base           numeric(18,2) NOT NULL CHECK (base >= 0),
  rate           numeric(9,6) NOT NULL CHECK (rate >= 0 AND rate <= 1),
  amount         numeric(18,2) NOT NULL CHECK (amount >= 0),
  refunded       numeric(18,2) NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
  line_paid      numeric(18,2) NOT NULL,
  line_refunded  numeric(18,2) NOT NULL DEFAULT 0,
  status         text NOT NULL CHECK (status IN ('frozen', 'available', 'void')),
  plugin         text NOT NULL,
  plugin_version text NOT NULL DEFAULT '',
  config         jsonb NOT NULL DEFAULT '{}',
  depth          int NOT NULL,
  grade_id       uuid,
  grade_name     text NOT NULL DEFAULT '',
  note           text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  settled_at     timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, beneficiary_id) REFERENCES distributors (tenant_id, member_id),
  CONSTRAINT commissions_line_beneficiary_key UNIQUE (tenant_id, order_id, line_id, beneficiary_id, level)
);
SELECT banyan_tenant_table('commissions');
CREATE INDEX commissions_beneficiary_idx ON commissions (tenant_id, beneficiary_id, created_at DESC, id);
CREATE INDEX commissions_frozen_idx ON commissions (tenant_id, order_id, line_id) WHERE status = 'frozen';

-- When a line's after-sales window closes (orders reports it); commission
-- on the line settles from then on.
CREATE TABLE commission_line_windows (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  order_id  uuid NOT NULL,
  line_id   text NOT NULL,
  closes_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, order_id, line_id)
);
SELECT banyan_tenant_table('commission_line_windows');

-- Refunds already applied to commissions (idempotency per refund).
CREATE TABLE commission_refunds (
  tenant_id     uuid NOT NULL,
  refund_id     text NOT NULL,
  commission_id uuid NOT NULL,
  amount        numeric(18,2) NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('void', 'reverse')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, refund_id, commission_id),
  FOREIGN KEY (tenant_id, commission_id) REFERENCES commissions (tenant_id, id)
);
SELECT banyan_tenant_table('commission_refunds');
REVOKE UPDATE, DELETE ON commission_refunds FROM banyan_app;

CREATE TABLE withdrawals (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  member_id       uuid NOT NULL,
  amount          numeric(18,2) NOT NULL CHECK (amount > 0),
  fee             numeric(18,2) NOT NULL CHECK (fee >= 0 AND fee < amount),
  channel         text NOT NULL CHECK (channel IN ('bank', 'alipay', 'wechat', 'sandbox')),
  account         jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL CHECK (status IN ('requested', 'approved', 'paid', 'rejected', 'failed')),
  needs_second    boolean NOT NULL DEFAULT false,
  first_approver  uuid,
  second_approver uuid,
  reject_reason   text NOT NULL DEFAULT '',
  payout_ref      text NOT NULL DEFAULT '',
  failure         text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES distributors (tenant_id, member_id)
);
SELECT banyan_tenant_table('withdrawals');
CREATE INDEX withdrawals_member_idx ON withdrawals (tenant_id, member_id, created_at DESC, id);
CREATE INDEX withdrawals_status_idx ON withdrawals (tenant_id, status, created_at DESC, id);

-- Tenants with frozen commission whose window has closed, for the
-- settlement job (which then works each tenant under RLS).
CREATE FUNCTION distribution_due_tenants(at timestamptz) RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT DISTINCT c.tenant_id FROM commissions c
  JOIN commission_line_windows w ON w.tenant_id = c.tenant_id AND w.order_id = c.order_id AND w.line_id = c.line_id
  WHERE c.status = 'frozen' AND w.closes_at <= at
$$;

-- +goose Down
DROP FUNCTION IF EXISTS distribution_due_tenants(timestamptz);
DROP TABLE IF EXISTS withdrawals, commission_refunds, commission_line_windows, commissions, commission_runs,
  distributor_accounts, distribution_bindings, distribution_referrers, distributors, distributor_grades,
  distribution_settings CASCADE;
