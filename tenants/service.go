package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/authz"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Service is the tenant service.
type Service struct {
	DB         *db.DB
	Staff      *identity.Staff
	Authz      *authz.Enforcer
	BaseDomain string // e.g. "banyan.example" — shops live at {slug}.{BaseDomain}

	cache sync.Map // host key → cached
}

// A resolved tenant is cached briefly: resolution runs on every request.
// Suspension is seen at once by the replica that made it (Forget) and within
// cacheTTL by the others.
const cacheTTL = 3 * time.Second

type cached struct {
	t   Tenant
	err error
	at  time.Time
}

const tenantCols = `id, slug, name, status, suspended_reason, plan_id, logo_url, primary_color, custom_domain, currency, timezone, banners, created_at`

// SignupInput is the body of POST /api/v1/signup.
type SignupInput struct {
	ShopName string `json:"shop_name"`
	Slug     string `json:"slug"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// SignupResult is a new shop and its logged-in owner.
type SignupResult struct {
	Tenant  Tenant           `json:"tenant"`
	User    identity.User    `json:"user"`
	Token   string           `json:"token"`
	Expires time.Time        `json:"expires_at"`
	Session identity.Session `json:"-"`
}

// Signup creates a tenant on the free plan and its owner, and logs the owner
// in. An existing staff user may sign up another shop with their password.
func (s *Service) Signup(ctx context.Context, in SignupInput, addr string) (SignupResult, error) {
	v := errs.Validator{}
	in.ShopName = strings.TrimSpace(in.ShopName)
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	v.Check(in.ShopName != "" && len([]rune(in.ShopName)) <= 64, "shop_name", "required", "shop name is required (at most 64 characters)")
	v.Merge("slug", ValidateSlug("slug", in.Slug))
	email, err := identity.NormalizeEmail("email", in.Email)
	v.Merge("email", err)
	v.Merge("password", identity.CheckPassword("password", in.Password, email))
	if err := v.Err(); err != nil {
		return SignupResult{}, err
	}

	var existing *identity.User
	var count int
	if err := s.DB.GetContext(ctx, &count, `SELECT count(*) FROM staff_users WHERE email = $1`, email); err != nil {
		return SignupResult{}, err
	}
	if count > 0 {
		u, err := s.Staff.CheckPassword(ctx, email, in.Password, addr)
		if errs.Is(err, errs.LockedOut) {
			return SignupResult{}, err
		}
		if err != nil {
			return SignupResult{}, errs.Field("email", "taken", "an account with this email exists; enter its password to add a shop to it")
		}
		existing = &u
	}

	var res SignupResult
	err = s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		var t Tenant
		err := tx.GetContext(ctx, &t, `
INSERT INTO tenants (slug, name, plan_id) VALUES ($1, $2, (SELECT id FROM plans WHERE code = 'free'))
RETURNING `+tenantCols, in.Slug, in.ShopName)
		if db.IsUnique(err, "tenants_slug_key") {
			return errs.Field("slug", "taken", "this slug is taken")
		}
		if err != nil {
			return fmt.Errorf("signup tenant: %w", err)
		}
		var user identity.User
		if existing != nil {
			user = *existing
		} else {
			id, err := s.Staff.CreateUser(ctx, tx, email, "", in.Password)
			if err != nil {
				return err
			}
			user = identity.User{ID: id, Email: email}
		}
		if _, err := tx.ExecContext(ctx, `SELECT set_config('app.tenant_id', $1, true)`, t.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_staff (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, t.ID, user.ID); err != nil {
			return fmt.Errorf("signup owner: %w", err)
		}
		actx := identity.WithActor(ctx, identity.Actor{Kind: "staff", UserID: user.ID})
		if err := audit.Record(actx, tx, t.ID, "tenant.signup", "tenant", string(t.ID), map[string]string{"slug": t.Slug}); err != nil {
			return err
		}
		sess, err := s.Staff.IssueSession(ctx, tx, user.ID)
		if err != nil {
			return err
		}
		if err := authz.Notify(ctx, tx); err != nil {
			return err
		}
		res = SignupResult{Tenant: t, User: user, Token: sess.Token, Expires: sess.ExpiresAt, Session: sess}
		return nil
	})
	if err != nil {
		return SignupResult{}, err
	}
	return res, s.Authz.Reload(ctx)
}

// ---------------------------------------------------------------- resolution

// Resolve finds the tenant of a request: the X-Tenant header when present,
// else the Host ({slug}.{BaseDomain} or a registered custom domain), else
// fallback (the development default shop, when configured).
func (s *Service) Resolve(ctx context.Context, host, header, fallback string) (Tenant, error) {
	key, bySlug := "", true
	switch {
	case header != "":
		key = strings.ToLower(strings.TrimSpace(header))
	default:
		h := strings.ToLower(host)
		if hh, _, err := net.SplitHostPort(h); err == nil {
			h = hh
		}
		h = strings.TrimSuffix(h, ".")
		switch {
		case s.BaseDomain != "" && strings.HasSuffix(h, "."+s.BaseDomain):
			key = strings.TrimSuffix(h, "."+s.BaseDomain)
		case h == s.BaseDomain || h == "localhost" || h == "127.0.0.1" || h == "::1" || h == "":
			key = fallback
		default:
			key, bySlug = h, false
		}
	}
	if key == "" || (bySlug && !slugRe.MatchString(key)) {
		return Tenant{}, errs.E(errs.NotFound, "shop not found")
	}
	ck := key
	if !bySlug {
		ck = "domain:" + key
	}
	if c, ok := s.cache.Load(ck); ok && time.Since(c.(cached).at) < cacheTTL {
		return c.(cached).t, c.(cached).err
	}
	var t Tenant
	var err error
	if bySlug {
		err = s.DB.GetContext(ctx, &t, `SELECT `+tenantCols+` FROM tenants WHERE slug = $1`, key)
	} else {
		err = s.DB.GetContext(ctx, &t, `SELECT `+tenantCols+` FROM tenants WHERE custom_domain = $1`, key)
	}
	if errors.Is(err, sql.ErrNoRows) {
		err = errs.E(errs.NotFound, "shop not found")
	} else if err != nil {
		return Tenant{}, fmt.Errorf("resolve tenant: %w", err)
	}
	s.cache.Store(ck, cached{t: t, err: err, at: time.Now()})
	return t, err
}

// Forget drops cached resolutions of t on this replica.
func (s *Service) Forget(t Tenant) {
	s.cache.Delete(t.Slug)
	if t.CustomDomain != nil {
		s.cache.Delete("domain:" + *t.CustomDomain)
	}
}

// ByID returns a tenant.
func (s *Service) ByID(ctx context.Context, id tenancy.TenantID) (Tenant, error) {
	if !id.Valid() {
		return Tenant{}, errs.E(errs.NotFound, "tenant not found")
	}
	var t Tenant
	err := s.DB.GetContext(ctx, &t, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id)
	return t, db.NotFound(err, "tenant")
}

// ---------------------------------------------------------------- settings

// Settings is the shop's settings and branding with its plan.
type Settings struct {
	Tenant
	Plan Plan `json:"plan"`
}

// Settings returns the current tenant's settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	t, err := s.ByID(ctx, tenancy.ID(ctx))
	if err != nil {
		return Settings{}, err
	}
	p, err := s.plan(ctx, s.DB, t.PlanID)
	return Settings{Tenant: t, Plan: p}, err
}

// UpdateSettings applies a partial update to the current tenant.
func (s *Service) UpdateSettings(ctx context.Context, p SettingsPatch) (Settings, error) {
	if err := p.validate(s.BaseDomain); err != nil {
		return Settings{}, err
	}
	id := tenancy.ID(ctx)
	var before Tenant
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.GetContext(ctx, &before, `SELECT `+tenantCols+` FROM tenants WHERE id = $1 FOR UPDATE`, id); err != nil {
			return db.NotFound(err, "tenant")
		}
		var banners any
		if p.Banners != nil {
			v, err := p.Banners.Value()
			if err != nil {
				return err
			}
			banners = v
		}
		var domain any
		if p.CustomDomain != nil && *p.CustomDomain != "" {
			domain = *p.CustomDomain
		}
		_, err := tx.ExecContext(ctx, `
UPDATE tenants SET
  name          = COALESCE($2, name),
  logo_url      = COALESCE($3, logo_url),
  primary_color = COALESCE($4, primary_color),
  custom_domain = CASE WHEN $5 THEN $6 ELSE custom_domain END,
  currency      = COALESCE($7, currency),
  timezone      = COALESCE($8, timezone),
  banners       = COALESCE($9::jsonb, banners),
  updated_at    = now()
WHERE id = $1`, id, p.Name, p.LogoURL, p.PrimaryColor, p.CustomDomain != nil, domain, p.Currency, p.Timezone, banners)
		if db.IsUnique(err, "tenants_custom_domain_key") {
			return errs.Field("custom_domain", "taken", "another shop uses this domain")
		}
		if err != nil {
			return fmt.Errorf("update settings: %w", err)
		}
		return audit.Record(ctx, tx, id, "settings.update", "tenant", string(id), p)
	})
	if err != nil {
		return Settings{}, err
	}
	s.Forget(before)
	return s.Settings(ctx)
}

// ---------------------------------------------------------------- plans and quotas

func (s *Service) plan(ctx context.Context, q sqlGetter, id string) (Plan, error) {
	var p Plan
	err := q.GetContext(ctx, &p, `SELECT id, code, name, max_staff, max_products, max_plugins, created_at FROM plans WHERE id = $1`, id)
	return p, db.NotFound(err, "plan")
}

type sqlGetter interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

// CurrentPlan returns the plan of the tenant in ctx, read inside tx so a
// quota check and the insert it guards see the same state.
func (s *Service) CurrentPlan(ctx context.Context, tx *db.Tx) (Plan, error) {
	var p Plan
	err := tx.GetContext(ctx, &p, `
SELECT p.id, p.code, p.name, p.max_staff, p.max_products, p.max_plugins, p.created_at
FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = $1`, tenancy.ID(ctx))
	return p, db.NotFound(err, "plan")
}

// QuotaError is the error for a quota that would be exceeded.
func QuotaError(what string, limit int) error {
	return &errs.Error{Code: errs.QuotaExceeded, Message: fmt.Sprintf("your plan allows at most %d %s; upgrade the plan to add more", limit, what)}
}

// ListPlans returns every plan.
func (s *Service) ListPlans(ctx context.Context) ([]Plan, error) {
	var out []Plan
	err := s.DB.SelectContext(ctx, &out, `SELECT id, code, name, max_staff, max_products, max_plugins, created_at FROM plans ORDER BY max_staff, code`)
	return out, err
}

// SavePlan creates (id == "") or updates a plan.
func (s *Service) SavePlan(ctx context.Context, p Plan) (Plan, error) {
	if err := p.Validate(); err != nil {
		return Plan{}, err
	}
	if p.ID != "" && !tenancy.ValidUUID(p.ID) {
		return Plan{}, errs.E(errs.NotFound, "plan not found")
	}
	var out Plan
	err := s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		var err error
		if p.ID == "" {
			err = tx.GetContext(ctx, &out, `INSERT INTO plans (code, name, max_staff, max_products, max_plugins) VALUES ($1,$2,$3,$4,$5)
RETURNING id, code, name, max_staff, max_products, max_plugins, created_at`, p.Code, p.Name, p.MaxStaff, p.MaxProducts, p.MaxPlugins)
		} else {
			err = tx.GetContext(ctx, &out, `UPDATE plans SET code=$2, name=$3, max_staff=$4, max_products=$5, max_plugins=$6 WHERE id=$1
RETURNING id, code, name, max_staff, max_products, max_plugins, created_at`, p.ID, p.Code, p.Name, p.MaxStaff, p.MaxProducts, p.MaxPlugins)
		}
		if db.IsUnique(err, "plans_code_key") {
			return errs.Field("code", "taken", "another plan has this code")
		}
		if err != nil {
			return db.NotFound(err, "plan")
		}
		return audit.RecordPlatform(ctx, tx, "", "plan.save", out)
	})
	return out, err
}

// ---------------------------------------------------------------- platform

// ListFilter filters the platform's tenant list.
type ListFilter struct {
	Query  string
	Status string
	Page   page.Request
}

type tenantCursor struct {
	T  time.Time `json:"t"`
	ID string    `json:"i"`
}

// List returns tenants, newest first, with plan and usage.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Summary, string, error) {
	f.Page = f.Page.Normalize()
	var cur tenantCursor
	if err := page.Decode(f.Page.Cursor, &cur); err != nil {
		return nil, "", err
	}
	if f.Status != "" && f.Status != StatusActive && f.Status != StatusSuspended {
		return nil, "", errs.Field("status", "invalid", "status must be active or suspended")
	}
	var rows []Tenant
	err := s.DB.SelectContext(ctx, &rows, `
SELECT `+tenantCols+` FROM tenants
WHERE ($1 = '' OR lower(name || ' ' || slug) LIKE '%' || lower($1) || '%')
  AND ($2 = '' OR status = $2)
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
ORDER BY created_at DESC, id DESC LIMIT $5`, f.Query, f.Status, nullTime(cur.T), nullUUID(cur.ID), f.Page.Limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list tenants: %w", err)
	}
	next := ""
	if len(rows) > f.Page.Limit {
		rows = rows[:f.Page.Limit]
		last := rows[len(rows)-1]
		next = page.Encode(tenantCursor{T: last.CreatedAt, ID: string(last.ID)})
	}
	out, err := s.summarize(ctx, rows)
	return out, next, err
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullUUID(s string) any {
	if s == "" {
		return "00000000-0000-0000-0000-000000000000"
	}
	return s
}

func (s *Service) summarize(ctx context.Context, rows []Tenant) ([]Summary, error) {
	out := make([]Summary, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(rows))
	for i, t := range rows {
		ids[i] = string(t.ID)
	}
	var usage []struct {
		TenantID string `db:"tenant_id"`
		Usage
	}
	if err := s.DB.SelectContext(ctx, &usage, `SELECT tenant_id, staff, members, products FROM platform_tenant_usage($1::uuid[])`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("usage: %w", err)
	}
	plans, err := s.ListPlans(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]Plan{}
	for _, p := range plans {
		byID[p.ID] = p
	}
	u := map[string]Usage{}
	for _, x := range usage {
		u[x.TenantID] = x.Usage
	}
	for i, t := range rows {
		p := byID[t.PlanID]
		out[i] = Summary{Tenant: t, Plan: PlanRef{ID: p.ID, Code: p.Code, Name: p.Name}, Usage: u[string(t.ID)]}
	}
	return out, nil
}

// Get returns one tenant for the platform console.
func (s *Service) Get(ctx context.Context, id tenancy.TenantID) (Summary, error) {
	t, err := s.ByID(ctx, id)
	if err != nil {
		return Summary{}, err
	}
	out, err := s.summarize(ctx, []Tenant{t})
	if err != nil {
		return Summary{}, err
	}
	return out[0], nil
}

// Suspend stops a tenant's shop and admin (403 tenant_suspended).
func (s *Service) Suspend(ctx context.Context, id tenancy.TenantID, reason string) (Summary, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > 500 {
		return Summary{}, errs.Field("reason", "required", "a reason is required (at most 500 characters)")
	}
	return s.setStatus(ctx, id, StatusSuspended, reason)
}

// Resume reactivates a suspended tenant.
func (s *Service) Resume(ctx context.Context, id tenancy.TenantID) (Summary, error) {
	return s.setStatus(ctx, id, StatusActive, "")
}

func (s *Service) setStatus(ctx context.Context, id tenancy.TenantID, status, reason string) (Summary, error) {
	t, err := s.ByID(ctx, id)
	if err != nil {
		return Summary{}, err
	}
	if t.Status == status {
		return Summary{}, errs.E(errs.InvalidState, "the tenant is already %s", status)
	}
	err = s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tenants SET status = $2, suspended_reason = $3, updated_at = now() WHERE id = $1 AND status <> $2`, id, status, reason)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.InvalidState, "the tenant is already %s", status)
		}
		action := "tenant.resume"
		if status == StatusSuspended {
			action = "tenant.suspend"
		}
		return audit.RecordPlatform(ctx, tx, id, action, map[string]string{"reason": reason})
	})
	if err != nil {
		return Summary{}, err
	}
	s.Forget(t)
	return s.Get(ctx, id)
}

// ChangePlan moves a tenant to another plan.
func (s *Service) ChangePlan(ctx context.Context, id tenancy.TenantID, planID string) (Summary, error) {
	if !tenancy.ValidUUID(planID) {
		return Summary{}, errs.Field("plan_id", "not_found", "no such plan")
	}
	if _, err := s.ByID(ctx, id); err != nil {
		return Summary{}, err
	}
	err := s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tenants SET plan_id = $2, updated_at = now() WHERE id = $1`, id, planID)
		if c, _, ok := db.Constraint(err); ok && c == "23503" {
			return errs.Field("plan_id", "not_found", "no such plan")
		}
		if err != nil {
			return err
		}
		return audit.RecordPlatform(ctx, tx, id, "tenant.change_plan", map[string]string{"plan_id": planID})
	})
	if err != nil {
		return Summary{}, err
	}
	// The plan decides which of the shop's plugins it may use: core/plugins
	// caches them (topic "plugins"); tell this replica now, the trigger of
	// migration 00081 tells the others.
	s.DB.Changes.Announce("plugins:" + string(id))
	return s.Get(ctx, id)
}
