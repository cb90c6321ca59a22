-- +goose Up
-- Replicas cache a few read-mostly rows that every shop request needs: member
-- sessions, the shop's enabled plugins with their config, order and
-- distribution settings (core/db changes.go). Reading them is most of a
-- checkout's round trips that do no work. These triggers make every write
-- to them — whatever code path or hand-written SQL makes it — announce
-- itself on the channel banyan_changes when it commits ("topic:tenant", or
-- "topic:*" for everything), and mark the transaction that made it
-- (banyan.changed_<topic>), so that a cache never keeps a row that
-- transaction read back before committing.
-- +goose StatementBegin
CREATE FUNCTION banyan_announce_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  topic text := TG_ARGV[0];
  key text := '*';
BEGIN
  IF TG_NARGS > 1 THEN
    IF TG_OP = 'DELETE' THEN
      key := to_jsonb(OLD) ->> TG_ARGV[1];
    ELSE
      key := to_jsonb(NEW) ->> TG_ARGV[1];
    END IF;
  END IF;
  -- Identical notifications of one transaction are delivered once.
  PERFORM pg_notify('banyan_changes', topic || ':' || key);
  PERFORM set_config('banyan.changed_' || topic, 'on', true);
  RETURN NULL;
END $$;
-- +goose StatementEnd

-- A session matters to the cache once it exists: revoking or deleting it,
-- or disabling its member, must end it everywhere.
CREATE TRIGGER member_sessions_announce AFTER UPDATE OR DELETE ON member_sessions
  FOR EACH ROW EXECUTE FUNCTION banyan_announce_change('sessions', 'tenant_id');
CREATE TRIGGER members_announce AFTER UPDATE OF status OR DELETE ON members
  FOR EACH ROW EXECUTE FUNCTION banyan_announce_change('sessions', 'tenant_id');

CREATE TRIGGER tenant_plugins_announce AFTER INSERT OR UPDATE OR DELETE ON tenant_plugins
  FOR EACH ROW EXECUTE FUNCTION banyan_announce_change('plugins', 'tenant_id');
CREATE TRIGGER plugin_availability_announce AFTER INSERT OR UPDATE OR DELETE ON plugin_availability
  FOR EACH ROW EXECUTE FUNCTION banyan_announce_change('plugins');
-- A shop's plan decides which of its plugins it may use.
CREATE TRIGGER tenants_plan_announce AFTER UPDATE OF plan_id ON tenants
  FOR EACH ROW EXECUTE FUNCTION banyan_announce_change('plugins', 'id');

CREATE TRIGGER order_settings_announce AFTER INSERT OR UPDATE OR DELETE ON order_settings
  FOR EACH ROW EXECUTE FUNCTION banyan_announce_change('order_settings', 'tenant_id');
CREATE TRIGGER distribution_settings_announce AFTER INSERT OR UPDATE OR DELETE ON distribution_settings
  FOR EACH ROW EXECUTE FUNCTION banyan_announce_change('distribution_settings', 'tenant_id');

-- +goose Down
DROP TRIGGER distribution_settings_announce ON distribution_settings;
DROP TRIGGER order_settings_announce ON order_settings;
DROP TRIGGER tenants_plan_announce ON tenants;
DROP TRIGGER plugin_availability_announce ON plugin_availability;
DROP TRIGGER tenant_plugins_announce ON tenant_plugins;
DROP TRIGGER members_announce ON members;
DROP TRIGGER member_sessions_announce ON member_sessions;
DROP FUNCTION banyan_announce_change();
