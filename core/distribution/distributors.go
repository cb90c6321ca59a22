package distribution

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/page"
)

// Distributor is a member's distributor record (an application until approved).
type Distributor struct {
	MemberID     string     `db:"member_id" json:"member_id"`
	Status       string     `db:"status" json:"status"` // pending, active, rejected, disabled
	Code         string     `db:"code" json:"code"`
	Link         string     `db:"-" json:"link"` // /r/{code}
	RealName     string     `db:"real_name" json:"real_name"`
	Phone        string     `db:"phone" json:"phone"`
	Reason       string     `db:"reason" json:"reason"`
	RejectReason string     `db:"reject_reason" json:"reject_reason"`
	GradeID      *string    `db:"grade_id" json:"grade_id"`
	GradeName    *string    `db:"grade_name" json:"grade_name"`
	Source       string     `db:"source" json:"source"`
	AppliedAt    time.Time  `db:"applied_at" json:"applied_at"`
	ReviewedAt   *time.Time `db:"reviewed_at" json:"reviewed_at"`
	ApprovedAt   *time.Time `db:"approved_at" json:"approved_at"`
}

const distributorCols = `d.member_id, d.status, d.code, d.real_name, d.phone, d.reason, d.reject_reason, d.grade_id, g.name AS grade_name,
d.source, d.applied_at, d.reviewed_at, d.approved_at`

const distributorFrom = ` FROM distributors d LEFT JOIN distributor_grades g ON g.tenant_id = d.tenant_id AND g.id = d.grade_id `

func (d *Distributor) fill() *Distributor { d.Link = "/r/" + d.Code; return d }

// codeAlphabet has no 0/O, 1/I/L: codes are read aloud and typed.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

func newCode(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// ApplyInput is a member's application.
type ApplyInput struct {
	RealName string `json:"real_name"`
	Phone    string `json:"phone"`
	Reason   string `json:"reason"`
}

func (in ApplyInput) validate() error {
	v := errs.Validator{}
	n := utf8.RuneCountInString(strings.TrimSpace(in.RealName))
	v.Check(n >= 1 && n <= 32, "real_name", "required", "your real name (1–32 characters)")
	v.Check(len(in.Phone) >= 5 && len(in.Phone) <= 20 && strings.Trim(in.Phone, "+0123456789- ") == "", "phone", "invalid", "a phone number")
	v.Check(utf8.RuneCountInString(in.Reason) <= 500, "reason", "too_long", "at most 500 characters")
	return v.Err()
}

// Apply makes the member a distributor, or an applicant awaiting review,
// according to the shop's eligibility rule. A rejected applicant may apply
// again.
func (s *Service) Apply(ctx context.Context, member identity.MemberID, in ApplyInput) (Distributor, error) {
	if err := in.validate(); err != nil {
		return Distributor{}, err
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return Distributor{}, err
	}
	if !st.Enabled {
		return Distributor{}, errs.E(errs.InvalidState, "this shop does not run a distribution programme")
	}
	status := "active"
	switch st.Eligibility {
	case "designated":
		return Distributor{}, errs.E(errs.Forbidden, "in this shop only the merchant makes distributors")
	case "application":
		status = "pending"
	case "after_first_purchase", "after_spending":
		m, err := s.Members.Get(ctx, member)
		if err != nil {
			return Distributor{}, err
		}
		need := decimal.New(1, -2)
		if st.Eligibility == "after_spending" {
			need = st.SpendingThreshold
		}
		if m.TotalSpend.LessThan(need) {
			return Distributor{}, errs.E(errs.InvalidState, "you may become a distributor after spending %s on completed orders (so far %s)",
				need.StringFixed(2), m.TotalSpend.StringFixed(2))
		}
	}
	source := "application"
	if status == "active" {
		source = "automatic"
	}
	var out Distributor
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		cur, err := s.distributor(ctx, tx, string(member), true)
		switch {
		case err == nil && cur.Status != "rejected":
			return errs.E(errs.Conflict, "you already applied (status %s)", cur.Status)
		case err == nil:
			_, err = tx.ExecContext(ctx, `
UPDATE distributors SET status = $3, real_name = $4, phone = $5, reason = $6, reject_reason = '', source = $7, applied_at = now(),
  reviewed_at = NULL, approved_at = CASE WHEN $3 = 'active' THEN now() END, updated_at = now()
WHERE tenant_id = $1 AND member_id = $2`, tid(ctx), member, status, strings.TrimSpace(in.RealName), in.Phone, in.Reason, source)
		case errs.Is(err, errs.NotFound):
			err = s.insertDistributor(ctx, tx, string(member), status, source, in)
		}
		if err != nil {
			return err
		}
		if status == "active" {
			if err := s.activated(ctx, tx, string(member)); err != nil {
				return err
			}
		}
		if err := auditRecord(ctx, tx, "distribution.apply", "distributor", string(member), map[string]string{"status": status}); err != nil {
			return err
		}
		out, err = s.distributor(ctx, tx, string(member), false)
		return err
	})
	return out, err
}

func (s *Service) insertDistributor(ctx context.Context, tx *db.Tx, member, status, source string, in ApplyInput) error {
	for range 5 {
		_, err := tx.ExecContext(ctx, `SAVEPOINT dcode`)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
INSERT INTO distributors (tenant_id, member_id, status, code, real_name, phone, reason, source, approved_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $3 = 'active' THEN now() END)`,
			tid(ctx), member, status, newCode(7), strings.TrimSpace(in.RealName), in.Phone, in.Reason, source)
		if db.IsUnique(err, "distributors_code_key") {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT dcode`); err != nil {
				return err
			}
			continue
		}
		if db.IsUnique(err, "distributors_pkey") {
			return errs.E(errs.Conflict, "this member already has a distributor record")
		}
		if code, _, ok := db.Constraint(err); ok && code == "23503" {
			return errs.E(errs.NotFound, "member not found")
		}
		return err
	}
	return errors.New("distribution: could not allocate a referral code")
}

// activated gives a new distributor their account row and lowest grade.
func (s *Service) activated(ctx context.Context, tx *db.Tx, member string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO distributor_accounts (tenant_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		tid(ctx), member); err != nil {
		return fmt.Errorf("distributor account: %w", err)
	}
	_, err := tx.ExecContext(ctx, `
UPDATE distributors d SET grade_id = (SELECT id FROM distributor_grades WHERE tenant_id = $1 ORDER BY rank LIMIT 1)
WHERE d.tenant_id = $1 AND d.member_id = $2 AND d.grade_id IS NULL`, tid(ctx), member)
	return err
}

func (s *Service) distributor(ctx context.Context, tx *db.Tx, member string, lock bool) (Distributor, error) {
	if err := mustUUID("distributor", member); err != nil {
		return Distributor{}, err
	}
	q := `SELECT ` + distributorCols + distributorFrom + ` WHERE d.tenant_id = $1 AND d.member_id = $2`
	if lock {
		q += ` FOR UPDATE OF d`
	}
	var d Distributor
	if err := tx.GetContext(ctx, &d, q, tid(ctx), member); err != nil {
		return d, db.NotFound(err, "distributor")
	}
	return *d.fill(), nil
}

// Designate makes a member a distributor by the merchant's decision.
func (s *Service) Designate(ctx context.Context, member identity.MemberID) (Distributor, error) {
	var out Distributor
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		cur, err := s.distributor(ctx, tx, string(member), true)
		switch {
		case err == nil && cur.Status == "active":
			out = cur
			return nil
		case err == nil:
			_, err = tx.ExecContext(ctx, `UPDATE distributors SET status = 'active', source = 'designated', approved_at = now(), updated_at = now()
WHERE tenant_id = $1 AND member_id = $2`, tid(ctx), member)
		case errs.Is(err, errs.NotFound):
			err = s.insertDistributor(ctx, tx, string(member), "active", "designated", ApplyInput{})
		}
		if err != nil {
			return err
		}
		if err := s.activated(ctx, tx, string(member)); err != nil {
			return err
		}
		if err := auditRecord(ctx, tx, "distribution.designate", "distributor", string(member), nil); err != nil {
			return err
		}
		out, err = s.distributor(ctx, tx, string(member), false)
		return err
	})
	return out, err
}

// ReviewInput approves or rejects an application.
type ReviewInput struct {
	Reason string `json:"reason"`
}

// Approve approves a pending application. Approving an application that
// was rejected (or anything not pending) is an invalid_state error: the
// member applies again.
func (s *Service) Approve(ctx context.Context, member string) (Distributor, error) {
	return s.review(ctx, member, "active", "")
}

// Reject rejects a pending application with a reason the member sees.
func (s *Service) Reject(ctx context.Context, member, reason string) (Distributor, error) {
	n := utf8.RuneCountInString(strings.TrimSpace(reason))
	if n < 1 || n > 500 {
		return Distributor{}, errs.Field("reason", "required", "say why (1–500 characters): the applicant sees it")
	}
	return s.review(ctx, member, "rejected", strings.TrimSpace(reason))
}

func (s *Service) review(ctx context.Context, member, to, reason string) (Distributor, error) {
	var out Distributor
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		cur, err := s.distributor(ctx, tx, member, true)
		if err != nil {
			return err
		}
		if cur.Status != "pending" {
			return errs.E(errs.InvalidState, "this application is %s, not pending: only a pending application can be reviewed", cur.Status)
		}
		var by *string
		if a, ok := identity.ActorFrom(ctx); ok && a.UserID != "" {
			u := string(a.UserID)
			by = &u
		}
		if _, err := tx.ExecContext(ctx, `
UPDATE distributors SET status = $3, reject_reason = $4, reviewed_at = now(), reviewed_by = $5,
  approved_at = CASE WHEN $3 = 'active' THEN now() END, updated_at = now()
WHERE tenant_id = $1 AND member_id = $2`, tid(ctx), member, to, reason, by); err != nil {
			return err
		}
		if to == "active" {
			if err := s.activated(ctx, tx, member); err != nil {
				return err
			}
		}
		if err := auditRecord(ctx, tx, "distribution.review", "distributor", member, map[string]string{"status": to, "reason": reason}); err != nil {
			return err
		}
		out, err = s.distributor(ctx, tx, member, false)
		return err
	})
	return out, err
}

// SetEnabled disables an active distributor (no new commission; balances
// stay theirs) or re-enables a disabled one.
func (s *Service) SetEnabled(ctx context.Context, member string, enabled bool) (Distributor, error) {
	var out Distributor
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		cur, err := s.distributor(ctx, tx, member, true)
		if err != nil {
			return err
		}
		from, to := "active", "disabled"
		if enabled {
			from, to = "disabled", "active"
		}
		if cur.Status == to {
			out = cur
			return nil
		}
		if cur.Status != from {
			return errs.E(errs.InvalidState, "a %s distributor cannot be %s", cur.Status, map[bool]string{true: "enabled", false: "disabled"}[enabled])
		}
		if _, err := tx.ExecContext(ctx, `UPDATE distributors SET status = $3, updated_at = now() WHERE tenant_id = $1 AND member_id = $2`,
			tid(ctx), member, to); err != nil {
			return err
		}
		if err := auditRecord(ctx, tx, "distribution."+to, "distributor", member, nil); err != nil {
			return err
		}
		out, err = s.distributor(ctx, tx, member, false)
		return err
	})
	return out, err
}

// Distributor returns one distributor record.
func (s *Service) Distributor(ctx context.Context, member string) (Distributor, error) {
	var out Distributor
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.distributor(ctx, tx, member, false)
		return err
	})
	return out, err
}

// List lists distributor records by status ("" = all), newest first.
func (s *Service) List(ctx context.Context, status string, p page.Request) ([]Distributor, string, error) {
	if status != "" && !oneOf(status, "pending", "active", "rejected", "disabled") {
		return nil, "", errs.Field("status", "invalid", "pending, active, rejected or disabled")
	}
	p = p.Normalize()
	cur, at, err := decodeCursor(p)
	if err != nil {
		return nil, "", err
	}
	var out []Distributor
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+distributorCols+distributorFrom+`
WHERE d.tenant_id = $1 AND ($2 = '' OR d.status = $2)
  AND ($3::timestamptz IS NULL OR (d.applied_at, d.member_id) < ($3, $4::uuid))
ORDER BY d.applied_at DESC, d.member_id DESC LIMIT $5`, tid(ctx), status, at, nullIfEmpty(cur.ID), p.Limit+1)
	})
	if err != nil {
		return nil, "", err
	}
	out, next := cut(out, p.Limit, func(l Distributor) timeCursor { return timeCursor{l.AppliedAt, l.MemberID} })
	for i := range out {
		out[i].fill()
	}
	return out, next, nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Grade is a distributor grade defined by the merchant (初级/中级/高级 ...).
type Grade struct {
	ID               string            `db:"id" json:"id"`
	Name             string            `db:"name" json:"name"`
	Rank             int               `db:"rank" json:"rank"`
	Rates            []decimal.Decimal `db:"-" json:"rates"`
	RatesJSON        string            `db:"rates" json:"-"`
	MinTeamSize      int               `db:"min_team_size" json:"min_team_size"`
	MinReferredSales decimal.Decimal   `db:"min_referred_sales" json:"min_referred_sales"`
}

// GradeInput defines a grade.
type GradeInput struct {
	Name string `json:"name"`
	// Rank orders grades (0 = the entry grade); upgrades only go up.
	Rank int `json:"rank"`
	// Rates per level, index 0 = level 1, as fractions (0.1 = 10%), 1–3 of them.
	Rates []decimal.Decimal `json:"rates"`
	// Upgrade conditions: team size (direct and indirect) and referred sales.
	MinTeamSize      int             `json:"min_team_size"`
	MinReferredSales decimal.Decimal `json:"min_referred_sales"`
}

func (in GradeInput) validate() error {
	v := errs.Validator{}
	n := utf8.RuneCountInString(strings.TrimSpace(in.Name))
	v.Check(n >= 1 && n <= 32, "name", "required", "1–32 characters")
	v.Check(in.Rank >= 0 && in.Rank <= 100, "rank", "out_of_range", "0 to 100")
	v.Check(len(in.Rates) <= MaxDepth, "rates", "depth_exceeds_legal_limit", "at most 3 levels (禁止传销条例)")
	sum := decimal.Zero
	for i, r := range in.Rates {
		v.Check(!r.IsNegative() && r.LessThanOrEqual(decimal.NewFromInt(1)) && r.Equal(r.Round(6)), fmt.Sprintf("rates[%d]", i), "out_of_range",
			"a fraction from 0 to 1 (0.1 = 10%), at most 6 decimal places")
		sum = sum.Add(r)
	}
	v.Check(sum.LessThanOrEqual(decimal.NewFromInt(1)), "rates", "out_of_range", "rates add up to at most 1")
	v.Check(in.MinTeamSize >= 0 && in.MinTeamSize <= 10_000_000, "min_team_size", "out_of_range", "0 or more")
	v.Check(!in.MinReferredSales.IsNegative() && in.MinReferredSales.Equal(in.MinReferredSales.Round(2)), "min_referred_sales", "out_of_range", "0 or more, 2 decimal places")
	return v.Err()
}

func (g *Grade) decode() error {
	g.Rates = []decimal.Decimal{}
	return json.Unmarshal([]byte(g.RatesJSON), &g.Rates)
}

// Grades lists the shop's grades by rank.
func (s *Service) Grades(ctx context.Context) ([]Grade, error) {
	var out []Grade
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.grades(ctx, tx)
		return err
	})
	return out, err
}

func (s *Service) grades(ctx context.Context, tx *db.Tx) ([]Grade, error) {
	out := []Grade{}
	if err := tx.SelectContext(ctx, &out, `SELECT id, name, rank, rates::text AS rates, min_team_size, min_referred_sales
FROM distributor_grades WHERE tenant_id = $1 ORDER BY rank`, tid(ctx)); err != nil {
		return nil, err
	}
	for i := range out {
		if err := out[i].decode(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SaveGrade creates a grade (id "") or replaces one.
func (s *Service) SaveGrade(ctx context.Context, id string, in GradeInput) (Grade, error) {
	if id != "" {
		if err := mustUUID("grade", id); err != nil {
			return Grade{}, err
		}
	}
	if err := in.validate(); err != nil {
		return Grade{}, err
	}
	if in.Rates == nil {
		in.Rates = []decimal.Decimal{}
	}
	rates, _ := json.Marshal(in.Rates)
	var g Grade
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if id == "" {
			err = tx.GetContext(ctx, &g, `INSERT INTO distributor_grades (tenant_id, name, rank, rates, min_team_size, min_referred_sales)
VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING id, name, rank, rates::text AS rates, min_team_size, min_referred_sales`,
				tid(ctx), strings.TrimSpace(in.Name), in.Rank, string(rates), in.MinTeamSize, in.MinReferredSales)
		} else {
			err = tx.GetContext(ctx, &g, `UPDATE distributor_grades SET name = $3, rank = $4, rates = $5::jsonb, min_team_size = $6, min_referred_sales = $7
WHERE tenant_id = $1 AND id = $2 RETURNING id, name, rank, rates::text AS rates, min_team_size, min_referred_sales`,
				tid(ctx), id, strings.TrimSpace(in.Name), in.Rank, string(rates), in.MinTeamSize, in.MinReferredSales)
			err = db.NotFound(err, "grade")
		}
		switch {
		case db.IsUnique(err, "distributor_grades_name_key"):
			return errs.Field("name", "taken", "another grade has this name")
		case db.IsUnique(err, "distributor_grades_rank_key"):
			return errs.Field("rank", "taken", "another grade has this rank")
		case err != nil:
			return err
		}
		if err := auditRecord(ctx, tx, "distribution.grade.save", "distributor_grade", g.ID, in); err != nil {
			return err
		}
		return g.decode()
	})
	return g, err
}

// DeleteGrade deletes a grade no distributor holds.
func (s *Service) DeleteGrade(ctx context.Context, id string) error {
	if err := mustUUID("grade", id); err != nil {
		return err
	}
	return s.DB.InTenant(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM distributor_grades WHERE tenant_id = $1 AND id = $2`, tid(ctx), id)
		if code, _, ok := db.Constraint(err); ok && code == "23503" {
			return errs.E(errs.Conflict, "distributors hold this grade; move them first")
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "grade not found")
		}
		return auditRecord(ctx, tx, "distribution.grade.delete", "distributor_grade", id, nil)
	})
}

// EvaluateGrade upgrades an active distributor to the highest grade whose
// conditions they meet (never downgrades). It returns the grade id held.
func (s *Service) EvaluateGrade(ctx context.Context, tx *db.Tx, memberID string) (string, error) {
	d, err := s.distributor(ctx, tx, memberID, true)
	if err != nil {
		return "", err
	}
	cur := ""
	if d.GradeID != nil {
		cur = *d.GradeID
	}
	if d.Status != "active" {
		return cur, nil
	}
	st, err := s.settings(ctx, tx)
	if err != nil {
		return "", err
	}
	grades, err := s.grades(ctx, tx)
	if err != nil {
		return "", err
	}
	team, err := s.teamSize(ctx, tx, memberID, st.Depth)
	if err != nil {
		return "", err
	}
	var sales decimal.Decimal
	if err := tx.GetContext(ctx, &sales, `
SELECT coalesce(sum(base * (1 - CASE WHEN line_paid > 0 THEN line_refunded / line_paid ELSE 0 END)), 0)::numeric(18,2)
FROM commissions WHERE tenant_id = $1 AND beneficiary_id = $2 AND level = 1`, tid(ctx), memberID); err != nil {
		return "", err
	}
	curRank := -1
	for _, g := range grades {
		if g.ID == cur {
			curRank = g.Rank
		}
	}
	best := cur
	for _, g := range grades {
		if g.Rank > curRank && team >= g.MinTeamSize && sales.GreaterThanOrEqual(g.MinReferredSales) {
			best, curRank = g.ID, g.Rank
		}
	}
	if best != cur {
		if _, err := tx.ExecContext(ctx, `UPDATE distributors SET grade_id = $3, updated_at = now() WHERE tenant_id = $1 AND member_id = $2`,
			tid(ctx), memberID, best); err != nil {
			return "", err
		}
		if err := auditRecord(ctx, tx, "distribution.grade.upgrade", "distributor", memberID, map[string]any{"from": cur, "to": best, "team": team, "sales": sales}); err != nil {
			return "", err
		}
	}
	return best, nil
}
