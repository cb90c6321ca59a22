package distribution

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/page"
)

// RefCookie is the first-party cookie GET /r/{code} sets.
const RefCookie = "banyan_ref"

type refKey struct{}

// WithRefCode returns ctx carrying the referral code of the request (from
// the banyan_ref cookie); the registration hook binds with it.
func WithRefCode(ctx context.Context, code string) context.Context {
	return context.WithValue(ctx, refKey{}, NormalizeCode(code))
}

// RefCode returns the request's referral code, or "".
func RefCode(ctx context.Context) string {
	c, _ := ctx.Value(refKey{}).(string)
	return c
}

// NormalizeCode upper-cases a code and drops anything outside the alphabet.
func NormalizeCode(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) < 6 || len(code) > 12 || strings.Trim(code, codeAlphabet) != "" {
		return ""
	}
	return code
}

// Binding is a member's current referrer.
type Binding struct {
	MemberID    string    `db:"member_id" json:"member_id"`
	ReferrerID  string    `db:"referrer_id" json:"referrer_id"`
	Source      string    `db:"source" json:"source"`
	BoundAt     time.Time `db:"bound_at" json:"bound_at"`
	LockedUntil time.Time `db:"locked_until" json:"locked_until"`
}

// ErrNotBound is returned by binding calls that did nothing because the
// shop's rules keep the member's binding or the code names no active
// distributor; callers on the side (registration, orders) ignore it.
var ErrNotBound = errs.E(errs.InvalidState, "no binding made")

// referrerByCode returns the active distributor with code.
func (s *Service) referrerByCode(ctx context.Context, tx *db.Tx, code string) (string, error) {
	code = NormalizeCode(code)
	if code == "" {
		return "", errs.Field("code", "invalid", "not a referral code")
	}
	var id string
	err := tx.GetContext(ctx, &id, `SELECT member_id FROM distributors WHERE tenant_id = $1 AND code = $2 AND status = 'active'`, tid(ctx), code)
	if errors.Is(err, errNoRows) {
		return "", errs.E(errs.NotFound, "no active distributor has this referral code")
	}
	return id, err
}

// Bind binds member to the distributor with code, as source says (link,
// api, registration, order), enforcing the shop's lock period and rebinding
// policy and refusing self-binding and loops. It answers the binding in
// force afterwards.
func (s *Service) Bind(ctx context.Context, tx *db.Tx, member, code, source string) (Binding, error) {
	ref, err := s.referrerByCode(ctx, tx, code)
	if err != nil {
		return Binding{}, err
	}
	return s.bindTo(ctx, tx, member, ref, NormalizeCode(code), source)
}

func (s *Service) bindTo(ctx context.Context, tx *db.Tx, member, ref, code, source string) (Binding, error) {
	if member == ref {
		return Binding{}, errs.Field("code", "self_binding", "a member cannot be their own referrer")
	}
	st, err := s.settings(ctx, tx)
	if err != nil {
		return Binding{}, err
	}
	// Serialise bindings of this member.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('distribution.bind:' || $1))`, member); err != nil {
		return Binding{}, err
	}
	var cur Binding
	err = tx.GetContext(ctx, &cur, `SELECT member_id, referrer_id, source, bound_at, locked_until FROM distribution_referrers
WHERE tenant_id = $1 AND member_id = $2 FOR UPDATE`, tid(ctx), member)
	bound := err == nil
	if err != nil && !errors.Is(err, errNoRows) {
		return Binding{}, err
	}
	now := s.now()
	if bound {
		if cur.ReferrerID == ref {
			return cur, nil
		}
		switch {
		case now.Before(cur.LockedUntil):
			return cur, errs.E(errs.Conflict, "already bound to a referrer until %s (lock period)", cur.LockedUntil.Format(time.DateOnly))
		case st.RebindPolicy == "permanent":
			return cur, errs.E(errs.Conflict, "already bound to a referrer; bindings in this shop are permanent")
		case st.RebindPolicy == "for_days" && now.Before(cur.BoundAt.AddDate(0, 0, st.RebindDays)):
			return cur, errs.E(errs.Conflict, "already bound to a referrer until %s", cur.BoundAt.AddDate(0, 0, st.RebindDays).Format(time.DateOnly))
		}
	}
	// A loop anywhere up the chain: member must not be ref or above ref.
	var loop bool
	if err := tx.GetContext(ctx, &loop, `
WITH RECURSIVE up(id, depth) AS (
  SELECT $2::uuid, 0
  UNION ALL
  SELECT r.referrer_id, up.depth + 1 FROM distribution_referrers r JOIN up ON r.member_id = up.id
  WHERE r.tenant_id = $1 AND up.depth < 1000
)
SELECT EXISTS (SELECT 1 FROM up WHERE id = $3::uuid)`, tid(ctx), ref, member); err != nil {
		return Binding{}, err
	}
	if loop {
		return Binding{}, errs.Field("code", "binding_loop", "this referrer is in the member's own team: binding would make a loop")
	}
	locked := now.AddDate(0, 0, st.LockDays)
	var old *string
	if bound {
		old = &cur.ReferrerID
	}
	var out Binding
	if err := tx.GetContext(ctx, &out, `
INSERT INTO distribution_referrers (tenant_id, member_id, referrer_id, source, bound_at, locked_until) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, member_id) DO UPDATE SET referrer_id = EXCLUDED.referrer_id, source = EXCLUDED.source,
  bound_at = EXCLUDED.bound_at, locked_until = EXCLUDED.locked_until
RETURNING member_id, referrer_id, source, bound_at, locked_until`, tid(ctx), member, ref, source, now, locked); err != nil {
		if code, _, ok := db.Constraint(err); ok && code == "23503" {
			return Binding{}, errs.E(errs.NotFound, "member not found")
		}
		return Binding{}, fmt.Errorf("bind: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO distribution_bindings (tenant_id, member_id, old_referrer, new_referrer, source, code)
VALUES ($1, $2, $3, $4, $5, $6)`, tid(ctx), member, old, ref, source, code); err != nil {
		return Binding{}, err
	}
	if err := auditRecord(ctx, tx, "distribution.bind", "member", member, map[string]any{"old": old, "new": ref, "source": source}); err != nil {
		return Binding{}, err
	}
	// The referrer's team grew: they may reach a higher grade.
	if _, err := s.EvaluateGrade(ctx, tx, ref); err != nil && !errs.Is(err, errs.NotFound) {
		return Binding{}, err
	}
	return out, nil
}

// BindByMember is POST /shop/distributor/bind: the member binds themself to
// a code (binding mode first_visit only).
func (s *Service) BindByMember(ctx context.Context, member identity.MemberID, code string) (Binding, error) {
	var out Binding
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		st, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		if st.BindingMode != "first_visit" {
			return errs.E(errs.InvalidState, "in this shop a referrer is bound at %s, not through a link", strings.ReplaceAll(st.BindingMode, "_", " "))
		}
		out, err = s.Bind(ctx, tx, string(member), code, "api")
		return err
	})
	return out, err
}

// OnRegister is the members registration hook: with binding mode
// registration or first_visit, a member who registers with a referral
// cookie is bound to its distributor. A bad or stale code never blocks
// registration.
func (s *Service) OnRegister(ctx context.Context, tx *db.Tx, m members.Member) error {
	code := RefCode(ctx)
	if code == "" {
		return nil
	}
	st, err := s.settings(ctx, tx)
	if err != nil {
		return err
	}
	if !st.Enabled || st.BindingMode == "first_order" {
		return nil
	}
	source := "registration"
	if st.BindingMode == "first_visit" {
		source = "link"
	}
	return s.sideBind(ctx, tx, func(ctx context.Context, tx *db.Tx) error {
		_, err := s.Bind(ctx, tx, string(m.ID), code, source)
		return err
	})
}

// sideBind runs a binding whose failure must not fail the caller: a
// refused binding rolls back to a savepoint and is dropped.
func (s *Service) sideBind(ctx context.Context, tx *db.Tx, fn func(ctx context.Context, tx *db.Tx) error) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT dist_bind`); err != nil {
		return err
	}
	err := fn(ctx, tx)
	var e *errs.Error
	if err != nil && errors.As(err, &e) {
		_, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT dist_bind`)
		return rerr
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `RELEASE SAVEPOINT dist_bind`)
	return err
}

// BindForOrder is called by orders inside the order transaction. It
// returns the referrer the order is credited to: with binding mode
// first_order an unbound buyer is bound to code's distributor first (the
// code is the order's referral code or cookie; "" = none); in every mode
// the answer is the buyer's referrer after that, or "" when none. A bad
// code never fails the order.
func (s *Service) BindForOrder(ctx context.Context, tx *db.Tx, buyerID identity.MemberID, code string) (referrerID string, err error) {
	st, err := s.settings(ctx, tx)
	if err != nil {
		return "", err
	}
	if !st.Enabled {
		return "", nil
	}
	if st.BindingMode == "first_order" && NormalizeCode(code) != "" {
		if err := s.sideBind(ctx, tx, func(ctx context.Context, tx *db.Tx) error {
			_, err := s.Bind(ctx, tx, string(buyerID), code, "order")
			return err
		}); err != nil {
			return "", err
		}
	}
	err = tx.GetContext(ctx, &referrerID, `SELECT referrer_id FROM distribution_referrers WHERE tenant_id = $1 AND member_id = $2`, tid(ctx), buyerID)
	if errors.Is(err, errNoRows) {
		return "", nil
	}
	return referrerID, err
}

// TeamLevel counts a distributor's team at one level (1 = direct).
type TeamLevel struct {
	Level int   `json:"level"`
	Count int64 `json:"count"`
}

// TeamMember is one member of a team.
type TeamMember struct {
	MemberID   string    `db:"member_id" json:"member_id"`
	Name       string    `db:"name" json:"name"`
	Level      int       `db:"level" json:"level"`
	ReferrerID string    `db:"referrer_id" json:"referrer_id"`
	BoundAt    time.Time `db:"bound_at" json:"bound_at"`
	IsDistrib  bool      `db:"is_distributor" json:"is_distributor"`
}

// Team is a distributor's direct and indirect members up to the depth.
type Team struct {
	Depth   int          `json:"depth"`
	Total   int64        `json:"total"`
	Levels  []TeamLevel  `json:"levels"`
	Members []TeamMember `json:"members"` // nearest first, at most 500
}

func (s *Service) team(ctx context.Context, tx *db.Tx, member string, depth int) (Team, error) {
	t := Team{Depth: depth, Levels: []TeamLevel{}, Members: []TeamMember{}}
	err := tx.SelectContext(ctx, &t.Members, `
WITH RECURSIVE down(id, referrer, level, bound_at) AS (
  SELECT member_id, referrer_id, 1, bound_at FROM distribution_referrers WHERE tenant_id = $1 AND referrer_id = $2
  UNION ALL
  SELECT r.member_id, r.referrer_id, down.level + 1, r.bound_at FROM distribution_referrers r JOIN down ON r.referrer_id = down.id
  WHERE r.tenant_id = $1 AND down.level < $3
)
SELECT down.id AS member_id, m.name, down.level, down.referrer::text AS referrer_id, down.bound_at,
       EXISTS (SELECT 1 FROM distributors d WHERE d.tenant_id = $1 AND d.member_id = down.id AND d.status = 'active') AS is_distributor
FROM down JOIN members m ON m.tenant_id = $1 AND m.id = down.id
ORDER BY down.level, down.bound_at DESC LIMIT 5000`, tid(ctx), member, depth)
	if err != nil {
		return t, fmt.Errorf("team: %w", err)
	}
	counts := make([]int64, depth)
	for _, m := range t.Members {
		counts[m.Level-1]++
	}
	for i, c := range counts {
		t.Levels = append(t.Levels, TeamLevel{Level: i + 1, Count: c})
		t.Total += c
	}
	if len(t.Members) > 500 {
		t.Members = t.Members[:500]
	}
	return t, nil
}

func (s *Service) teamSize(ctx context.Context, tx *db.Tx, member string, depth int) (int, error) {
	t, err := s.team(ctx, tx, member, depth)
	return int(t.Total), err
}

// Team returns a distributor's team within the shop's depth.
func (s *Service) Team(ctx context.Context, member string) (Team, error) {
	var t Team
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if _, err := s.distributor(ctx, tx, member, false); err != nil {
			return err
		}
		st, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		t, err = s.team(ctx, tx, member, st.Depth)
		return err
	})
	return t, err
}

// TeamNode is one member of a distributor's team, for the merchant's lazily
// opened team tree: Level is counted from the distributor (1 = direct) and
// Children is how many members this one referred that still fall within the
// shop's depth (0 at the last level).
type TeamNode struct {
	TeamMember
	Children int `db:"children" json:"children"`
}

// TeamChildren pages through the members directly referred by parent, a
// member of distributor's team within the shop's depth ("" or the
// distributor itself: the distributor's direct members), newest binding
// first. It is the merchant's view of the team Team gives the distributor,
// one level at a time: a parent outside the team is not found.
func (s *Service) TeamChildren(ctx context.Context, distributor, parent string, p page.Request) ([]TeamNode, string, error) {
	if parent == "" {
		parent = distributor
	}
	p = p.Normalize()
	cur, at, err := decodeCursor(p)
	if err != nil {
		return nil, "", err
	}
	var out []TeamNode
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if _, err := s.distributor(ctx, tx, distributor, false); err != nil {
			return err
		}
		st, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		level := 0
		if parent != distributor {
			if err := mustUUID("parent", parent); err != nil {
				return err
			}
			// The parent's distance below the distributor along its binding chain.
			err := tx.GetContext(ctx, &level, `
WITH RECURSIVE up(id, referrer, level) AS (
  SELECT member_id, referrer_id, 1 FROM distribution_referrers WHERE tenant_id = $1 AND member_id = $2
  UNION ALL
  SELECT r.member_id, r.referrer_id, up.level + 1 FROM distribution_referrers r JOIN up ON r.member_id = up.referrer
  WHERE r.tenant_id = $1 AND up.level < $4 AND up.referrer <> $3
)
SELECT level FROM up WHERE referrer = $3 LIMIT 1`, tid(ctx), parent, distributor, st.Depth)
			if errors.Is(err, errNoRows) {
				return errs.E(errs.NotFound, "parent not found in the distributor's team")
			}
			if err != nil {
				return fmt.Errorf("team parent: %w", err)
			}
		}
		if level >= st.Depth {
			return nil // the last level: nothing below it counts
		}
		return tx.SelectContext(ctx, &out, `
SELECT r.member_id, m.name, $6::int AS level, r.referrer_id::text AS referrer_id, r.bound_at,
       EXISTS (SELECT 1 FROM distributors d WHERE d.tenant_id = $1 AND d.member_id = r.member_id AND d.status = 'active') AS is_distributor,
       CASE WHEN $6 < $7 THEN (SELECT count(*) FROM distribution_referrers c WHERE c.tenant_id = $1 AND c.referrer_id = r.member_id) ELSE 0 END AS children
FROM distribution_referrers r JOIN members m ON m.tenant_id = $1 AND m.id = r.member_id
WHERE r.tenant_id = $1 AND r.referrer_id = $2
  AND ($3::timestamptz IS NULL OR (r.bound_at, r.member_id) < ($3, $4::uuid))
ORDER BY r.bound_at DESC, r.member_id DESC LIMIT $5`, tid(ctx), parent, at, nullIfEmpty(cur.ID), p.Limit+1, level+1, st.Depth)
	})
	if err != nil {
		return nil, "", err
	}
	out, next := cut(out, p.Limit, func(n TeamNode) timeCursor { return timeCursor{n.BoundAt, n.MemberID} })
	return out, next, nil
}
