-- +goose Up
-- Which plans may use a plugin. A platform registry, not tenant data: no row
-- means the default (built-in plugins: every plan; any other: none until an
-- operator makes it available). core/plugins owns both tables.
CREATE TABLE plugin_availability (
  plugin     text PRIMARY KEY CHECK (plugin ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  all_plans  boolean NOT NULL,
  plan_ids   uuid[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT all_plans OR cardinality(plan_ids) = 0)
);

-- A shop's choice of plugins and their validated config. kind is copied from
-- the manifest when the plugin is enabled, so a plugin that later disappears
-- from the plugin directory still fails loudly for the kind it served.
CREATE TABLE tenant_plugins (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  plugin     text NOT NULL CHECK (plugin ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  kind       text NOT NULL CHECK (kind IN ('commission', 'promotion', 'payment')),
  enabled    boolean NOT NULL DEFAULT false,
  config     jsonb NOT NULL DEFAULT '{}',
  priority   int NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 10000),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, plugin)
);
SELECT banyan_tenant_table('tenant_plugins');
CREATE INDEX tenant_plugins_enabled_idx ON tenant_plugins (tenant_id, kind, priority DESC) WHERE enabled;

-- +goose Down
DROP TABLE IF EXISTS tenant_plugins, plugin_availability;
