// Package plugins decides which plugins a shop may use and uses: the
// platform's availability of each plugin by plan, and each shop's enabled
// plugins with their validated config and priority. Other capabilities read
// it through Enabled and Config; the processes themselves are run by
// core/pluginhost. README.md in this folder states the rules.
//
// It owns the tables plugin_availability (platform) and tenant_plugins.
package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/pluginhost"
	"github.com/banyanmall/banyan/core/secrets"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/tenants"
)

// Builtin names the plugins shipped in plugins/: available to every plan
// unless an operator says otherwise, and required for readiness (see Ready).
var Builtin = []string{"commission-tiered", "payment-offline", "payment-sandbox", "promotion-basic"}

// IsBuiltin reports whether name is one of the built-in plugins.
func IsBuiltin(name string) bool { return slices.Contains(Builtin, name) }

// MaxPriority bounds a promotion plugin's priority (higher runs first).
const MaxPriority = 10000

// Service is the plugin enablement service.
type Service struct {
	DB      *db.DB
	Host    *pluginhost.Host
	Tenants *tenants.Service
	// Secrets seals the secret values of shops' plugin configs before they
	// are stored (secrets.go); required to save a config.
	Secrets *secrets.Box

	cacheOnce sync.Once
	cache     *db.Cache[[]tenantRow]
}

// Availability says which plans may use a plugin: all of them, or PlanIDs.
type Availability struct {
	All     bool
	PlanIDs []string
}

// MarshalJSON writes "all" or the list of plan ids.
func (a Availability) MarshalJSON() ([]byte, error) {
	if a.All {
		return []byte(`"all"`), nil
	}
	if a.PlanIDs == nil {
		return []byte(`[]`), nil
	}
	return json.Marshal(a.PlanIDs)
}

// Allows reports whether a plan may use the plugin.
func (a Availability) Allows(planID string) bool {
	return a.All || slices.Contains(a.PlanIDs, planID)
}

func defaultAvailability(name string) Availability {
	return Availability{All: IsBuiltin(name), PlanIDs: []string{}}
}

// PlatformPlugin is a discovered plugin as the platform console sees it.
type PlatformPlugin struct {
	pluginhost.Status
	AvailableTo  Availability    `json:"available_to"`
	Plans        []string        `json:"plans"` // codes of the plans in AvailableTo, for display
	ConfigSchema json.RawMessage `json:"config_schema"`
}

// ShopPlugin is a plugin available to the shop's plan, with the shop's choice.
type ShopPlugin struct {
	Name           string          `json:"name"`
	Kind           string          `json:"kind"`
	Version        string          `json:"version"`
	Description    string          `json:"description"`
	State          string          `json:"state"`
	Reason         string          `json:"reason,omitempty"`
	Enabled        bool            `json:"enabled"`
	Config         json.RawMessage `json:"config"` // secrets masked
	Priority       int             `json:"priority"`
	ConfigSchema   json.RawMessage `json:"config_schema"`
	CampaignSchema json.RawMessage `json:"campaign_schema,omitempty"`
	UpdatedAt      *time.Time      `json:"updated_at"`
}

// Enabled is one plugin a shop has enabled, as other capabilities read it.
type Enabled struct {
	Name     string
	Config   json.RawMessage
	Priority int
}

// Setting is a merchant's PUT of one plugin.
type Setting struct {
	Enabled  bool            `json:"enabled"`
	Config   json.RawMessage `json:"config"`
	Priority *int            `json:"priority"`
}

func notFound() error { return errs.E(errs.NotFound, "plugin not found") }

// ---------------------------------------------------------------- platform

type availabilityRow struct {
	Plugin   string         `db:"plugin"`
	AllPlans bool           `db:"all_plans"`
	PlanIDs  pq.StringArray `db:"plan_ids"`
}

func availabilityOf(rows []availabilityRow) map[string]Availability {
	out := make(map[string]Availability, len(rows))
	for _, r := range rows {
		ids := []string(r.PlanIDs)
		if ids == nil {
			ids = []string{}
		}
		out[r.Plugin] = Availability{All: r.AllPlans, PlanIDs: ids}
	}
	return out
}

// ListPlatform returns every discovered plugin, refused ones included, with
// its state and the plans it is available to.
func (s *Service) ListPlatform(ctx context.Context) ([]PlatformPlugin, error) {
	var rows []availabilityRow
	if err := s.DB.SelectContext(ctx, &rows, `SELECT plugin, all_plans, plan_ids FROM plugin_availability`); err != nil {
		return nil, fmt.Errorf("list plugin availability: %w", err)
	}
	avail := availabilityOf(rows)
	plans, err := s.Tenants.ListPlans(ctx)
	if err != nil {
		return nil, err
	}
	out := []PlatformPlugin{}
	for _, st := range s.Host.Status() {
		a, ok := avail[st.Name]
		if !ok {
			a = defaultAvailability(st.Name)
		}
		p := PlatformPlugin{Status: st, AvailableTo: a, Plans: []string{}}
		for _, pl := range plans {
			if a.Allows(pl.ID) {
				p.Plans = append(p.Plans, pl.Code)
			}
		}
		if m, ok := s.Host.Manifest(st.Name); ok {
			p.ConfigSchema = m.ConfigSchema
		}
		out = append(out, p)
	}
	return out, nil
}

// SetAvailability makes a plugin available to every plan (raw "all") or to
// a list of plan ids. It is recorded in the platform audit log.
func (s *Service) SetAvailability(ctx context.Context, name string, raw json.RawMessage) (PlatformPlugin, error) {
	if _, ok := s.Host.Manifest(name); !ok {
		return PlatformPlugin{}, notFound()
	}
	a, err := parseAvailability(raw)
	if err != nil {
		return PlatformPlugin{}, err
	}
	err = s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		if len(a.PlanIDs) > 0 {
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM plans WHERE id = ANY($1::uuid[])`, pq.StringArray(a.PlanIDs)); err != nil {
				return err
			}
			if n != len(a.PlanIDs) {
				return errs.Field("available_to", "unknown_plan", "every id must be an existing plan")
			}
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO plugin_availability (plugin, all_plans, plan_ids) VALUES ($1, $2, $3)
ON CONFLICT (plugin) DO UPDATE SET all_plans = EXCLUDED.all_plans, plan_ids = EXCLUDED.plan_ids, updated_at = now()`,
			name, a.All, pq.StringArray(a.PlanIDs)); err != nil {
			return fmt.Errorf("set plugin availability: %w", err)
		}
		return audit.RecordPlatform(ctx, tx, "", "plugin.availability", map[string]any{"plugin": name, "available_to": a})
	})
	if err != nil {
		return PlatformPlugin{}, err
	}
	s.changed("*")
	all, err := s.ListPlatform(ctx)
	return named(all, err, name, func(p PlatformPlugin) string { return p.Name })
}

// named picks the item called name out of a listing; 404 when absent.
func named[T any](items []T, err error, name string, nameOf func(T) string) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	for _, it := range items {
		if nameOf(it) == name {
			return it, nil
		}
	}
	return zero, notFound()
}

func parseAvailability(raw json.RawMessage) (Availability, error) {
	bad := errs.Field("available_to", "invalid", `"all" or a list of plan ids`)
	var all string
	if err := json.Unmarshal(raw, &all); err == nil {
		if all != "all" {
			return Availability{}, bad
		}
		return Availability{All: true, PlanIDs: []string{}}, nil
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil || ids == nil {
		return Availability{}, bad
	}
	if len(ids) > 100 {
		return Availability{}, errs.Field("available_to", "too_many", "at most 100 plans")
	}
	seen := map[string]bool{}
	out := []string{}
	for _, id := range ids {
		if !tenancy.ValidUUID(id) {
			return Availability{}, errs.Field("available_to", "invalid", "every item must be a plan id")
		}
		id = strings.ToLower(id)
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return Availability{PlanIDs: out}, nil
}

// ---------------------------------------------------------------- shop

type tenantRow struct {
	Plugin    string          `db:"plugin"`
	Kind      string          `db:"kind"`
	Enabled   bool            `db:"enabled"`
	Config    json.RawMessage `db:"config"`
	Priority  int             `db:"priority"`
	UpdatedAt time.Time       `db:"updated_at"`
	// Availability, joined: nil when the plugin has no row (the default).
	AllPlans *bool          `db:"all_plans"`
	PlanIDs  pq.StringArray `db:"plan_ids"`
	PlanID   string         `db:"plan_id"`
}

func (r tenantRow) available() bool {
	if r.AllPlans == nil {
		return defaultAvailability(r.Plugin).Allows(r.PlanID)
	}
	return Availability{All: *r.AllPlans, PlanIDs: r.PlanIDs}.Allows(r.PlanID)
}

// availableTo returns the availability of every plugin that has a row.
func availableTo(ctx context.Context, tx *db.Tx) (map[string]Availability, error) {
	var rows []availabilityRow
	if err := tx.SelectContext(ctx, &rows, `SELECT plugin, all_plans, plan_ids FROM plugin_availability`); err != nil {
		return nil, fmt.Errorf("plugin availability: %w", err)
	}
	return availabilityOf(rows), nil
}

func (s *Service) shopView(st pluginhost.Status, row *tenantRow) ShopPlugin {
	p := ShopPlugin{Name: st.Name, Kind: st.Kind, Version: st.Version, Description: st.Description,
		State: string(st.State), Reason: st.Reason, Config: json.RawMessage(`{}`)}
	m, _ := s.Host.Manifest(st.Name)
	p.ConfigSchema, p.CampaignSchema = m.ConfigSchema, m.CampaignSchema
	if row != nil {
		p.Enabled, p.Priority = row.Enabled, row.Priority
		p.Config = Mask(m.ConfigSchema, row.Config)
		t := row.UpdatedAt
		p.UpdatedAt = &t
	}
	return p
}

// List returns the plugins available to the shop's plan, with the shop's
// settings (secrets masked).
func (s *Service) List(ctx context.Context) ([]ShopPlugin, error) {
	out := []ShopPlugin{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		plan, err := s.Tenants.CurrentPlan(ctx, tx)
		if err != nil {
			return err
		}
		avail, err := availableTo(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tenantRows(ctx, tx, "")
		if err != nil {
			return err
		}
		for _, st := range s.Host.Status() {
			a, ok := avail[st.Name]
			if !ok {
				a = defaultAvailability(st.Name)
			}
			if !a.Allows(plan.ID) {
				continue
			}
			var row *tenantRow
			if r, ok := rows[st.Name]; ok {
				row = &r
			}
			out = append(out, s.shopView(st, row))
		}
		return nil
	})
	return out, err
}

// Get returns one plugin as List shows it; 404 when the shop's plan may not use it.
func (s *Service) Get(ctx context.Context, name string) (ShopPlugin, error) {
	all, err := s.List(ctx)
	return named(all, err, name, func(p ShopPlugin) string { return p.Name })
}

func tenantRows(ctx context.Context, tx *db.Tx, name string) (map[string]tenantRow, error) {
	var rows []tenantRow
	err := tx.SelectContext(ctx, &rows, `
SELECT plugin, kind, enabled, config, priority, updated_at FROM tenant_plugins
WHERE tenant_id = $1 AND ($2 = '' OR plugin = $2)`, tenancy.ID(ctx), name)
	if err != nil {
		return nil, fmt.Errorf("tenant plugins: %w", err)
	}
	out := make(map[string]tenantRow, len(rows))
	for _, r := range rows {
		out[r.Plugin] = r
	}
	return out, nil
}

func (s *Service) status(name string) (pluginhost.Status, bool) {
	for _, st := range s.Host.Status() {
		if st.Name == name {
			return st, true
		}
	}
	return pluginhost.Status{}, false
}

// Put enables or disables a plugin for the shop and sets its config and
// priority. An enabled plugin's config is validated by the host (schema,
// then the plugin); a field error names config.<field>. Enabling counts
// against the plan's max_plugins. A plugin not available to the plan is 404.
func (s *Service) Put(ctx context.Context, name string, in Setting) (ShopPlugin, error) {
	st, ok := s.status(name)
	if !ok {
		return ShopPlugin{}, notFound()
	}
	m, _ := s.Host.Manifest(name)
	v := errs.Validator{}
	priority := 0
	if in.Priority != nil {
		priority = *in.Priority
		v.Check(priority >= 0 && priority <= MaxPriority, "priority", "out_of_range", fmt.Sprintf("from 0 to %d (higher runs first)", MaxPriority))
		v.Check(priority == 0 || m.Kind == sdk.KindPromotion, "priority", "not_allowed", "only promotion plugins have a priority")
	}
	if len(in.Config) > 0 && string(in.Config) != "null" {
		var obj map[string]json.RawMessage
		v.Check(json.Unmarshal(in.Config, &obj) == nil && obj != nil, "config", "invalid", "must be a JSON object")
	}
	if err := v.Err(); err != nil {
		return ShopPlugin{}, err
	}
	tid := tenancy.ID(ctx)
	// Read what is stored first: masked secrets sent back keep their value,
	// and an absent config keeps the stored one.
	var prev *tenantRow
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := s.checkAvailable(ctx, tx, name); err != nil {
			return err
		}
		rows, err := tenantRows(ctx, tx, name)
		if r, ok := rows[name]; ok {
			prev = &r
		}
		return err
	})
	if err != nil {
		return ShopPlugin{}, err
	}
	config := json.RawMessage(`{}`)
	if prev != nil {
		prev.Config = s.openConfig(ctx, name, prev.Config)
	}
	switch {
	case len(in.Config) > 0 && string(in.Config) != "null":
		config = in.Config
		if prev != nil {
			config = Unmask(m.ConfigSchema, in.Config, prev.Config)
		}
	case prev != nil:
		config = prev.Config
	}
	if in.Priority == nil && prev != nil {
		priority = prev.Priority
	}
	if in.Enabled {
		if err := s.validate(ctx, name, config); err != nil {
			return ShopPlugin{}, err
		}
	}
	stored, err := s.sealConfig(ctx, name, m.ConfigSchema, config)
	if err != nil {
		return ShopPlugin{}, err
	}
	var row tenantRow
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		// The tenant row serializes concurrent enables against the quota.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, tid); err != nil {
			return err
		}
		if err := s.checkAvailable(ctx, tx, name); err != nil {
			return err
		}
		if in.Enabled && (prev == nil || !prev.Enabled) {
			plan, err := s.Tenants.CurrentPlan(ctx, tx)
			if err != nil {
				return err
			}
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM tenant_plugins WHERE tenant_id = $1 AND enabled AND plugin <> $2`, tid, name); err != nil {
				return err
			}
			if n >= plan.MaxPlugins {
				return tenants.QuotaError("enabled plugins", plan.MaxPlugins)
			}
		}
		err := tx.GetContext(ctx, &row, `
INSERT INTO tenant_plugins (tenant_id, plugin, kind, enabled, config, priority) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, plugin) DO UPDATE SET kind = EXCLUDED.kind, enabled = EXCLUDED.enabled, config = EXCLUDED.config,
  priority = EXCLUDED.priority, updated_at = now()
RETURNING plugin, kind, enabled, config, priority, updated_at`, tid, name, string(m.Kind), in.Enabled, string(stored), priority)
		if err != nil {
			return fmt.Errorf("save tenant plugin: %w", err)
		}
		return audit.Record(ctx, tx, tid, "plugin.update", "plugin", name, map[string]any{
			"enabled": in.Enabled, "priority": priority, "config": Mask(m.ConfigSchema, config)})
	})
	if err != nil {
		return ShopPlugin{}, err
	}
	s.changed(string(tid))
	return s.shopView(st, &row), nil
}

// checkAvailable answers 404 unless the shop's plan may use the plugin.
func (s *Service) checkAvailable(ctx context.Context, tx *db.Tx, name string) error {
	plan, err := s.Tenants.CurrentPlan(ctx, tx)
	if err != nil {
		return err
	}
	avail, err := availableTo(ctx, tx)
	if err != nil {
		return err
	}
	a, ok := avail[name]
	if !ok {
		a = defaultAvailability(name)
	}
	if !a.Allows(plan.ID) {
		return notFound()
	}
	return nil
}

// validate runs the host's check of a config and turns its answer into
// errs: field errors under config.<field>, a plugin that cannot answer into
// plugin_unavailable naming it.
func (s *Service) validate(ctx context.Context, name string, config json.RawMessage) error {
	fields, err := s.Host.ValidateConfig(ctx, name, config)
	if err != nil {
		return Unavailable(name, err)
	}
	if len(fields) == 0 {
		return nil
	}
	v := errs.Validator{}
	for _, f := range fields {
		v.Add(FieldName("config", f.Path), "invalid", f.Message)
	}
	return v.Err()
}

// FieldName turns a JSON pointer inside a body field into the dotted field
// name the API reports: ("config", "/tiers/0/spend") → "config.tiers.0.spend".
func FieldName(prefix, pointer string) string {
	if pointer == "" || pointer == "/" {
		return prefix
	}
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
	}
	return prefix + "." + strings.Join(parts, ".")
}

// ---------------------------------------------------------------- for other capabilities

// Enabled returns the shop's enabled plugins of a kind that its plan may
// use: highest priority first, then by name. A plugin enabled but no longer
// in the plugin directory is still returned, so that calling it fails
// loudly instead of silently changing a price.
func (s *Service) Enabled(ctx context.Context, tx *db.Tx, kind sdk.Kind) ([]Enabled, error) {
	rows, err := s.enabled(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := []Enabled{}
	for _, r := range rows {
		if r.Kind == string(kind) {
			out = append(out, Enabled{Name: r.Plugin, Config: r.Config, Priority: r.Priority})
		}
	}
	return out, nil
}

// Config returns the shop's config of an enabled plugin its plan may use;
// false when it is not enabled (or not available). tx may be nil when the
// caller has no transaction open (see enabled).
func (s *Service) Config(ctx context.Context, tx *db.Tx, name string) (json.RawMessage, bool, error) {
	rows, err := s.enabled(ctx, tx)
	if err != nil {
		return nil, false, err
	}
	for _, r := range rows {
		if r.Plugin == name {
			return r.Config, true, nil
		}
	}
	return nil, false, nil
}

// pluginsTopic is the change topic of tenant_plugins, plugin_availability
// and tenants' plans (migration 00081).
const pluginsTopic = "plugins"

// enabled answers the shop's enabled plugins its plan may use, configs
// opened, in Enabled's order. Promotions, payments and commissions read it
// on every checkout, so it is cached per shop on the replica (core/db
// Cache): a change to the shop's plugins, to a plugin's availability or to
// the shop's plan is announced by triggers and drops it everywhere. tx is
// the caller's transaction; a row it changed itself is never cached. With
// a nil tx a miss reads in a transaction of its own, so that a caller that
// needs nothing else from the database pays nothing on a hit.
func (s *Service) enabled(ctx context.Context, tx *db.Tx) ([]tenantRow, error) {
	s.cacheOnce.Do(func() { s.cache = db.NewCache[[]tenantRow](s.DB.Changes, pluginsTopic, 10*time.Minute, 10_000) })
	return s.cache.Get(string(tenancy.ID(ctx)), "", func() ([]tenantRow, db.Dirty, error) {
		var rows []struct {
			tenantRow
			Dirty bool `db:"dirty"`
		}
		sel := func(tx *db.Tx) error {
			return tx.SelectContext(ctx, &rows, `
SELECT tp.plugin, tp.kind, tp.enabled, tp.config, tp.priority, tp.updated_at, a.all_plans, a.plan_ids, t.plan_id,
  `+db.DirtyColumn(pluginsTopic)+` AS dirty
FROM tenant_plugins tp
JOIN tenants t ON t.id = tp.tenant_id
LEFT JOIN plugin_availability a ON a.plugin = tp.plugin
WHERE tp.tenant_id = $1 AND tp.enabled
ORDER BY tp.priority DESC, tp.plugin`, tenancy.ID(ctx))
		}
		var err error
		if tx != nil {
			err = sel(tx)
		} else {
			err = s.DB.InTenant(ctx, sel)
		}
		if err != nil {
			return nil, false, fmt.Errorf("enabled plugins: %w", err)
		}
		out, dirty := []tenantRow{}, false
		for _, r := range rows {
			dirty = dirty || r.Dirty
			if r.available() {
				r.Config = s.openConfig(ctx, r.Plugin, r.Config)
				out = append(out, r.tenantRow)
			}
		}
		return out, db.Dirty(dirty), nil
	})
}

// changed tells this replica's cache at once after a commit (the others
// hear it from PostgreSQL a moment later); key is a tenant or "*".
func (s *Service) changed(key string) {
	s.DB.Changes.Announce(pluginsTopic + ":" + key)
}

// ---------------------------------------------------------------- errors and readiness

// Error is a plugin that could not answer: plugin_unavailable (503), naming
// the plugin in the problem document (it implements api.PluginNamer).
type Error struct {
	Plugin string
	Err    *errs.Error
}

func (e *Error) Error() string { return e.Err.Error() }

// PluginName names the plugin at fault.
func (e *Error) PluginName() string { return e.Plugin }

// Unwrap exposes the *errs.Error for the API's mapping.
func (e *Error) Unwrap() error { return e.Err }

// Unavailable wraps a failed plugin call as plugin_unavailable naming it.
func Unavailable(name string, cause error) error {
	return &Error{Plugin: name, Err: &errs.Error{Code: errs.PluginUnavailable,
		Message: fmt.Sprintf("the plugin %s is unavailable; try again shortly", name), Err: cause}}
}

// Ready is the plugins' readiness: every plugin's state as detail, and ok
// unless a built-in plugin is refused or failed. A third-party plugin that is
// refused or failing never makes the instance unready: it is the same on
// every replica, so taking them all out of service would stop every shop for
// the sake of the few that use it — those get plugin_unavailable instead. A
// plugin restarting is transient and does not count either.
func Ready(h *pluginhost.Host) (ok bool, detail []pluginhost.Status) {
	ok = true
	detail = h.Status()
	for _, st := range detail {
		if IsBuiltin(st.Name) && (st.State == pluginhost.StateRefused || st.State == pluginhost.StateFailed) {
			ok = false
		}
	}
	return ok, detail
}
