-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'banyan_app') THEN
    CREATE ROLE banyan_app NOLOGIN;
  END IF;
END
$$;
-- +goose StatementEnd

-- The tenant of the current transaction, set by the app with
-- set_config('app.tenant_id', $1, true). Unset → NULL → no rows match.
CREATE FUNCTION app_tenant() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- banyan_tenant_table enables and forces RLS on a tenant-owned table and adds
-- the isolation policy. The owner (who runs migrations and the few SECURITY
-- DEFINER functions for platform-wide reads) gets an explicit policy of its
-- own; the app role never owns a table, so only tenant_isolation applies to it.
-- +goose StatementBegin
CREATE FUNCTION banyan_tenant_table(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = app_tenant()) WITH CHECK (tenant_id = app_tenant())', tbl);
  EXECUTE format('CREATE POLICY owner_access ON %s TO %I USING (true) WITH CHECK (true)', tbl, current_user);
END
$$;
-- +goose StatementEnd

-- Tables created by the owner from here on are usable by the app role.
-- Immutable tables revoke UPDATE/DELETE explicitly.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO banyan_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO banyan_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO banyan_app;
GRANT USAGE ON SCHEMA public TO banyan_app;
-- /readyz compares the applied version with the embedded migrations.
GRANT SELECT ON goose_db_version TO banyan_app;

-- ---------------------------------------------------------------- platform
CREATE TABLE plans (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code         text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{1,31}$'),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  max_staff    int  NOT NULL CHECK (max_staff >= 1),
  max_products int  NOT NULL CHECK (max_products >= 0),
  max_plugins  int  NOT NULL CHECK (max_plugins >= 0),
  created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO plans (code, name, max_staff, max_products, max_plugins) VALUES
  ('free', 'Free', 3, 200, 3),
  ('growth', 'Growth', 20, 20000, 10),
  ('enterprise', 'Enterprise', 200, 1000000, 50);

CREATE TABLE tenants (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$'),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  suspended_reason text NOT NULL DEFAULT '',
  plan_id          uuid NOT NULL REFERENCES plans (id),
  logo_url         text NOT NULL DEFAULT '',
  primary_color    text NOT NULL DEFAULT '#1f7a4d' CHECK (primary_color ~ '^#[0-9a-fA-F]{6}$'),
  custom_domain    text UNIQUE,
  currency         text NOT NULL DEFAULT 'CNY' CHECK (currency ~ '^[A-Z]{3}$'),
  timezone         text NOT NULL DEFAULT 'Asia/Shanghai',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_created_idx ON tenants (created_at, id);
CREATE INDEX tenants_name_trgm_idx ON tenants USING gin (lower(name || ' ' || slug) gin_trgm_ops);

CREATE TABLE staff_users (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email              text NOT NULL CHECK (email = lower(email)),
  name               text NOT NULL DEFAULT '',
  password_hash      text NOT NULL DEFAULT '',  -- '' while an invitation is pending
  invite_token_hash  bytea UNIQUE,
  invite_expires_at  timestamptz,
  password_changed_at timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT staff_users_email_key UNIQUE (email)
);

-- Platform roles: the domain 'platform' in Casbin.
CREATE TABLE platform_staff (
  user_id    uuid NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
  role       text NOT NULL CHECK (role IN ('operator', 'superadmin')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id)
);

CREATE TABLE staff_sessions (
  token_hash bytea PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX staff_sessions_user_idx ON staff_sessions (user_id);

-- Failed login attempts per key (an account or an address), shared by all
-- replicas. Rows are tiny and expire by window.
CREATE TABLE auth_throttle (
  key          text PRIMARY KEY,
  failures     int NOT NULL DEFAULT 0,
  window_start timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz
);

-- Casbin permission rules (p): role → object, action, shared by all tenants.
-- Role assignments (g) are not stored here: they are tenant_staff and
-- platform_staff, read by authz_assignments().
CREATE TABLE casbin_rule (
  id    bigserial PRIMARY KEY,
  ptype text NOT NULL,
  v0    text NOT NULL DEFAULT '',
  v1    text NOT NULL DEFAULT '',
  v2    text NOT NULL DEFAULT '',
  v3    text NOT NULL DEFAULT '',
  v4    text NOT NULL DEFAULT '',
  v5    text NOT NULL DEFAULT '',
  UNIQUE (ptype, v0, v1, v2, v3, v4, v5)
);

CREATE TABLE platform_audit_log (
  id         bigserial PRIMARY KEY,
  actor_id   uuid,
  action     text NOT NULL,
  tenant_id  uuid REFERENCES tenants (id),
  detail     jsonb NOT NULL DEFAULT '{}',
  request_id text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE UPDATE, DELETE ON platform_audit_log FROM banyan_app;

-- ---------------------------------------------------------------- tenant-owned
CREATE TABLE tenant_staff (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  user_id    uuid NOT NULL REFERENCES staff_users (id),
  role       text NOT NULL CHECK (role IN ('owner', 'admin', 'operations', 'finance', 'support')),
  invited_by uuid REFERENCES staff_users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
SELECT banyan_tenant_table('tenant_staff');
CREATE INDEX tenant_staff_user_idx ON tenant_staff (user_id);

CREATE TABLE members (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  phone         text,
  email         text CHECK (email = lower(email)),
  name          text NOT NULL DEFAULT '',
  password_hash text NOT NULL DEFAULT '',
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT members_phone_key UNIQUE (tenant_id, phone),
  CONSTRAINT members_email_key UNIQUE (tenant_id, email),
  CHECK (phone IS NOT NULL OR email IS NOT NULL)
);
SELECT banyan_tenant_table('members');
CREATE INDEX members_created_idx ON members (tenant_id, created_at DESC, id);

CREATE TABLE member_sessions (
  tenant_id  uuid NOT NULL,
  token_hash bytea NOT NULL,
  member_id  uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
);
SELECT banyan_tenant_table('member_sessions');
CREATE INDEX member_sessions_member_idx ON member_sessions (tenant_id, member_id);

CREATE TABLE member_otps (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  phone      text NOT NULL,
  code_hash  bytea NOT NULL,
  attempts   int NOT NULL DEFAULT 0,
  sent_at    timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, phone)
);
SELECT banyan_tenant_table('member_otps');

-- Who did what, in which tenant, when. Insert-only for the app.
CREATE TABLE audit_log (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  id          bigint GENERATED ALWAYS AS IDENTITY,
  actor_type  text NOT NULL CHECK (actor_type IN ('staff', 'member', 'platform', 'system')),
  actor_id    text NOT NULL DEFAULT '',
  action      text NOT NULL,
  target_type text NOT NULL DEFAULT '',
  target_id   text NOT NULL DEFAULT '',
  detail      jsonb NOT NULL DEFAULT '{}',
  request_id  text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
SELECT banyan_tenant_table('audit_log');
REVOKE UPDATE, DELETE ON audit_log FROM banyan_app;

-- ---------------------------------------------------------------- definer functions
-- The only cross-tenant reads the app may make, each narrow and read-only.

-- All role assignments, for the Casbin enforcer (domain = tenant id).
CREATE FUNCTION authz_assignments() RETURNS TABLE (user_id uuid, role text, domain text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT user_id, role, tenant_id::text FROM tenant_staff
  UNION ALL
  SELECT user_id, role, 'platform' FROM platform_staff
$$;

-- The tenants a staff user belongs to, for /auth/me.
CREATE FUNCTION staff_memberships(uid uuid) RETURNS TABLE (tenant_id uuid, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT tenant_id, role FROM tenant_staff WHERE user_id = uid
$$;

-- Usage counts per tenant for the platform console. Later capabilities
-- replace this function to add their counts.
CREATE FUNCTION platform_tenant_usage(ids uuid[]) RETURNS TABLE (tenant_id uuid, staff bigint, members bigint, products bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT t.id,
         (SELECT count(*) FROM tenant_staff s WHERE s.tenant_id = t.id),
         (SELECT count(*) FROM members m WHERE m.tenant_id = t.id),
         0::bigint
  FROM unnest(ids) AS t(id)
$$;

-- ---------------------------------------------------------------- permissions
-- role → object, action; shared by all tenants (DESIGN.md §3).
INSERT INTO casbin_rule (ptype, v0, v1, v2)
SELECT 'p', r.role, split_part(p.perm, ':', 1), split_part(p.perm, ':', 2)
FROM (VALUES
  ('owner',      ARRAY['staff:read','staff:write','settings:read','settings:write','audit:read','catalog:read','catalog:write','members:read','members:write','marketing:read','marketing:write','orders:read','orders:write','distribution:read','distribution:write','finance:read','finance:write','withdrawals:approve','plugins:read','plugins:write','stats:read','jobs:read']),
  ('admin',      ARRAY['staff:read','staff:write','settings:read','settings:write','audit:read','catalog:read','catalog:write','members:read','members:write','marketing:read','marketing:write','orders:read','orders:write','distribution:read','distribution:write','finance:read','finance:write','withdrawals:approve','plugins:read','plugins:write','stats:read','jobs:read']),
  ('operations', ARRAY['staff:read','settings:read','catalog:read','catalog:write','members:read','members:write','marketing:read','marketing:write','orders:read','orders:write','distribution:read','distribution:write','plugins:read','stats:read','jobs:read']),
  ('finance',    ARRAY['staff:read','settings:read','orders:read','members:read','distribution:read','finance:read','finance:write','withdrawals:approve','stats:read','jobs:read']),
  ('support',    ARRAY['settings:read','catalog:read','members:read','orders:read','orders:write','distribution:read']),
  ('operator',   ARRAY['platform.tenants:read','platform.tenants:write','platform.plans:read','platform.plugins:read','platform.plugins:write','platform.reports:read']),
  ('superadmin', ARRAY['platform.tenants:read','platform.tenants:write','platform.plans:read','platform.plans:write','platform.plugins:read','platform.plugins:write','platform.reports:read'])
) AS r(role, perms), unnest(r.perms) AS p(perm);

-- +goose Down
DROP TABLE IF EXISTS audit_log, member_otps, member_sessions, members, tenant_staff,
  platform_audit_log, casbin_rule, auth_throttle, staff_sessions, platform_staff, staff_users,
  tenants, plans CASCADE;
DROP FUNCTION IF EXISTS authz_assignments(), staff_memberships(uuid), platform_tenant_usage(uuid[]),
  banyan_tenant_table(regclass), app_tenant();
