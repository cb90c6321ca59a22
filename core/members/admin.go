package members

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// ListFilter narrows the admin's member list. Empty fields do not filter.
type ListFilter struct {
	Keyword string // part of the name, phone or email
	Phone   string
	Email   string
	LevelID LevelID
	TagID   TagID
	Status  string // active | disabled
}

// Summary is a member as the admin list shows them.
type Summary struct {
	Member
	LevelName string `db:"level_name" json:"level_name"`
}

type memberCursor struct {
	T  time.Time `json:"t"`
	ID string    `json:"i"`
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// List returns the shop's members, newest first.
func (s *Service) List(ctx context.Context, f ListFilter, p page.Request) ([]Summary, string, error) {
	p = p.Normalize()
	var cur memberCursor
	if err := page.Decode(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	v := errs.Validator{}
	if f.Phone != "" {
		ph, err := NormalizePhone("phone", f.Phone)
		v.Merge("phone", err)
		f.Phone = ph
	}
	f.Email = strings.ToLower(strings.TrimSpace(f.Email))
	f.Keyword = strings.ToLower(strings.TrimSpace(f.Keyword))
	v.Check(len(f.Keyword) <= 64, "keyword", "too_long", "at most 64 characters")
	v.Check(f.LevelID == "" || tenancy.ValidUUID(string(f.LevelID)), "level_id", "invalid", "a level id")
	v.Check(f.TagID == "" || tenancy.ValidUUID(string(f.TagID)), "tag_id", "invalid", "a tag id")
	v.Check(f.Status == "" || f.Status == "active" || f.Status == "disabled", "status", "invalid", `"active" or "disabled"`)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	kw := ""
	if f.Keyword != "" {
		kw = "%" + likeEscaper.Replace(f.Keyword) + "%"
	}
	var out []Summary
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `
SELECT `+memberCols+`, level_name FROM (
SELECT m.*, COALESCE(l.name, '') AS level_name
FROM members m LEFT JOIN member_levels l ON l.tenant_id = m.tenant_id AND l.id = m.level_id
WHERE m.tenant_id = $1
  AND ($2 = '' OR lower(m.name || ' ' || coalesce(m.phone, '') || ' ' || coalesce(m.email, '')) LIKE $2)
  AND ($3 = '' OR m.phone = $3)
  AND ($4 = '' OR m.email = $4)
  AND ($5 = '' OR m.level_id = nullif($5, '')::uuid)
  AND ($6 = '' OR EXISTS (SELECT 1 FROM member_tag_links t WHERE t.tenant_id = m.tenant_id AND t.member_id = m.id AND t.tag_id = nullif($6, '')::uuid))
  AND ($7 = '' OR m.status = $7)
  AND ($8::timestamptz IS NULL OR (m.created_at, m.id) < ($8, $9::uuid))
ORDER BY m.created_at DESC, m.id DESC LIMIT $10) m
ORDER BY created_at DESC, id DESC`,
			tenancy.ID(ctx), kw, f.Phone, f.Email, string(f.LevelID), string(f.TagID), f.Status, nullTime(cur.T), nullStr(cur.ID), p.Limit+1)
	})
	if err != nil {
		return nil, "", fmt.Errorf("list members: %w", err)
	}
	out, next := page.Cut(out, p.Limit, func(last Summary) any { return memberCursor{T: last.CreatedAt, ID: string(last.ID)} })
	return out, next, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Detail is a member as the admin sees them.
type Detail struct {
	Member
	Level         *Level        `json:"level"` // null when the member holds none
	Tags          []Tag         `json:"tags"`
	PointsBalance int64         `json:"points_balance"`
	Identities    []string      `json:"identities"` // third-party providers they log in with
	LevelHistory  []LevelChange `json:"level_history"`
	// Coupons and Orders count by status; null while the capability that
	// knows them is not there (never a made-up zero).
	Coupons map[string]int64 `json:"coupons"`
	Orders  map[string]int64 `json:"orders"`
}

// Detail returns a member with their level, tags, points and counts.
func (s *Service) Detail(ctx context.Context, id identity.MemberID) (Detail, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Detail{}, errs.E(errs.NotFound, "member not found")
	}
	var d Detail
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		d, err = s.detail(ctx, tx, id)
		return err
	})
	return d, err
}

func (s *Service) detail(ctx context.Context, tx *db.Tx, id identity.MemberID) (Detail, error) {
	tid := tenancy.ID(ctx)
	var d Detail
	if err := tx.GetContext(ctx, &d.Member, `SELECT `+memberCols+` FROM members WHERE tenant_id = $1 AND id = $2`, tid, id); err != nil {
		return d, db.NotFound(err, "member")
	}
	if d.LevelID != nil {
		l, err := s.LevelOf(ctx, tx, id)
		if err != nil {
			return d, err
		}
		d.Level = &l
	}
	d.Tags = []Tag{}
	if err := tx.SelectContext(ctx, &d.Tags, `
SELECT t.id, t.name, t.created_at FROM member_tag_links l JOIN member_tags t ON t.tenant_id = l.tenant_id AND t.id = l.tag_id
WHERE l.tenant_id = $1 AND l.member_id = $2 ORDER BY t.name`, tid, id); err != nil {
		return d, err
	}
	st, err := s.pointsState(ctx, tx, id)
	if err != nil {
		return d, err
	}
	d.PointsBalance = st.Balance - st.DueExpiry
	d.Identities = []string{}
	if err := tx.SelectContext(ctx, &d.Identities, `
SELECT p.name FROM member_identities i JOIN oauth_providers p ON p.tenant_id = i.tenant_id AND p.id = i.provider_id
WHERE i.tenant_id = $1 AND i.member_id = $2 ORDER BY p.name`, tid, id); err != nil {
		return d, err
	}
	if d.LevelHistory, err = s.levelHistory(ctx, tx, id, 20); err != nil {
		return d, err
	}
	if s.CouponCounts != nil {
		if d.Coupons, err = s.CouponCounts(ctx, tx, id); err != nil {
			return d, err
		}
	}
	if s.OrderCounts != nil {
		if d.Orders, err = s.OrderCounts(ctx, tx, id); err != nil {
			return d, err
		}
	}
	return d, nil
}

// AdminPatch is what the merchant may change about a member.
type AdminPatch struct {
	Status  *string  `json:"status"`   // active | disabled; disabling ends their sessions
	LevelID *LevelID `json:"level_id"` // set by hand (recorded in the level history)
	Tags    *[]TagID `json:"tags"`     // the member's whole set of tags
}

// MaxMemberTags is how many tags one member may carry.
const MaxMemberTags = 20

func (p *AdminPatch) validate() error {
	v := errs.Validator{}
	if p.Status != nil {
		v.Check(*p.Status == "active" || *p.Status == "disabled", "status", "invalid", `"active" or "disabled"`)
	}
	if p.LevelID != nil {
		v.Check(tenancy.ValidUUID(string(*p.LevelID)), "level_id", "not_found", "no such level")
	}
	if p.Tags != nil {
		v.Check(len(*p.Tags) <= MaxMemberTags, "tags", "too_many", fmt.Sprintf("at most %d tags per member", MaxMemberTags))
		for _, t := range *p.Tags {
			if !tenancy.ValidUUID(string(t)) {
				v.Add("tags", "not_found", "no such tag: "+string(t))
				break
			}
		}
	}
	return v.Err()
}

// UpdateByAdmin applies the merchant's change to a member.
func (s *Service) UpdateByAdmin(ctx context.Context, id identity.MemberID, p AdminPatch) (Detail, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Detail{}, errs.E(errs.NotFound, "member not found")
	}
	if err := p.validate(); err != nil {
		return Detail{}, err
	}
	var d Detail
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		var before struct {
			Status  string   `db:"status"`
			LevelID *LevelID `db:"level_id"`
		}
		if err := tx.GetContext(ctx, &before, `SELECT status, level_id FROM members WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`, tid, id); err != nil {
			return db.NotFound(err, "member")
		}
		if p.Status != nil && *p.Status != before.Status {
			if _, err := tx.ExecContext(ctx, `UPDATE members SET status = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, tid, id, *p.Status); err != nil {
				return err
			}
			if *p.Status == "disabled" {
				if _, err := tx.ExecContext(ctx, `UPDATE member_sessions SET revoked_at = now() WHERE tenant_id = $1 AND member_id = $2 AND revoked_at IS NULL`, tid, id); err != nil {
					return err
				}
			}
		}
		if p.LevelID != nil && (before.LevelID == nil || *before.LevelID != *p.LevelID) {
			if err := s.setLevel(ctx, tx, id, *p.LevelID); err != nil {
				return err
			}
		}
		if p.Tags != nil {
			if err := setTags(ctx, tx, id, *p.Tags); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, tid, "member.update", "member", string(id), p); err != nil {
			return err
		}
		var err error
		d, err = s.detail(ctx, tx, id)
		return err
	})
	if err == nil && p.Status != nil {
		s.sessionsChanged(ctx)
	}
	return d, err
}

func (s *Service) setLevel(ctx context.Context, tx *db.Tx, id identity.MemberID, level LevelID) error {
	actor := ""
	if a, ok := identity.ActorFrom(ctx); ok {
		actor = string(a.UserID)
	}
	res, err := tx.ExecContext(ctx, `
WITH old AS (
  SELECT m.level_id, COALESCE(l.name, '') AS name FROM members m
  LEFT JOIN member_levels l ON l.tenant_id = m.tenant_id AND l.id = m.level_id
  WHERE m.tenant_id = $1 AND m.id = $2),
new AS (SELECT id, name FROM member_levels WHERE tenant_id = $1 AND id = $3),
upd AS (UPDATE members SET level_id = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM new) RETURNING id)
INSERT INTO member_level_history (tenant_id, member_id, from_level_id, to_level_id, from_name, to_name, reason, actor_id)
SELECT $1, $2, old.level_id, new.id, old.name, new.name, 'manual', $4 FROM old, new, upd`, tenancy.ID(ctx), id, level, actor)
	if err != nil {
		return fmt.Errorf("set level: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Field("level_id", "not_found", "no such level")
	}
	return nil
}

func setTags(ctx context.Context, tx *db.Tx, id identity.MemberID, tags []TagID) error {
	tid := tenancy.ID(ctx)
	ids := make([]string, len(tags))
	for i, t := range tags {
		ids[i] = string(t)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM member_tag_links WHERE tenant_id = $1 AND member_id = $2 AND NOT (tag_id = ANY($3::uuid[]))`,
		tid, id, pq.Array(ids)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO member_tag_links (tenant_id, member_id, tag_id) SELECT $1, $2, t FROM unnest($3::uuid[]) AS t
ON CONFLICT DO NOTHING`, tid, id, pq.Array(ids))
	if code, _, ok := db.Constraint(err); ok && code == "23503" {
		return errs.Field("tags", "not_found", "one of the tags does not exist")
	}
	return err
}

// Audience names the members a merchant action (issuing coupons) targets:
// exactly one of a list of ids, a level or a tag.
type Audience struct {
	IDs     []identity.MemberID
	LevelID LevelID
	TagID   TagID
}

// ActiveIDs pages through the active members of a level or a tag, by id,
// after the id given ("" for the first page), in a transaction of its own.
func (s *Service) ActiveIDs(ctx context.Context, a Audience, after identity.MemberID, limit int) ([]identity.MemberID, error) {
	var out []identity.MemberID
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.ActiveIDsIn(ctx, tx, a, after, limit)
		return err
	})
	return out, err
}

// audienceWhere selects the active members m of the level ($2) or tag ($3).
const audienceWhere = `m.tenant_id = $1 AND m.status = 'active'
  AND ($2 = '' OR m.level_id = nullif($2, '')::uuid)
  AND ($3 = '' OR EXISTS (SELECT 1 FROM member_tag_links t WHERE t.tenant_id = m.tenant_id AND t.member_id = m.id AND t.tag_id = nullif($3, '')::uuid))`

func (a Audience) check() error {
	if a.LevelID != "" && !tenancy.ValidUUID(string(a.LevelID)) {
		return errs.Field("level_id", "not_found", "no such level")
	}
	if a.TagID != "" && !tenancy.ValidUUID(string(a.TagID)) {
		return errs.Field("tag_id", "not_found", "no such tag")
	}
	return nil
}

// ActiveIDsIn is ActiveIDs in the caller's transaction.
func (s *Service) ActiveIDsIn(ctx context.Context, tx *db.Tx, a Audience, after identity.MemberID, limit int) ([]identity.MemberID, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	var out []identity.MemberID
	err := tx.SelectContext(ctx, &out, `SELECT m.id FROM members m WHERE `+audienceWhere+`
  AND ($4::uuid IS NULL OR m.id > $4::uuid)
ORDER BY m.id LIMIT $5`, tenancy.ID(ctx), string(a.LevelID), string(a.TagID), nullStr(string(after)), limit)
	return out, err
}

// CountActive counts the active members of a level or a tag.
func (s *Service) CountActive(ctx context.Context, tx *db.Tx, a Audience) (int, error) {
	if err := a.check(); err != nil {
		return 0, err
	}
	var n int
	err := tx.GetContext(ctx, &n, `SELECT count(*) FROM members m WHERE `+audienceWhere, tenancy.ID(ctx), string(a.LevelID), string(a.TagID))
	return n, err
}

// ActiveAmong returns which of ids are active members of the shop, in the
// caller's transaction.
func (s *Service) ActiveAmong(ctx context.Context, tx *db.Tx, ids []identity.MemberID) ([]identity.MemberID, error) {
	strs := make([]string, 0, len(ids))
	for _, id := range ids {
		if tenancy.ValidUUID(string(id)) {
			strs = append(strs, string(id))
		}
	}
	var out []identity.MemberID
	err := tx.SelectContext(ctx, &out, `SELECT id FROM members WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'active' ORDER BY id`,
		tenancy.ID(ctx), pq.Array(strs))
	return out, err
}

// LevelExists and TagExists let other capabilities check an audience.
func (s *Service) LevelExists(ctx context.Context, tx *db.Tx, id LevelID) (bool, error) {
	return exists(ctx, tx, `SELECT EXISTS (SELECT 1 FROM member_levels WHERE tenant_id = $1 AND id = $2)`, string(id))
}

// TagExists reports whether the shop has the tag.
func (s *Service) TagExists(ctx context.Context, tx *db.Tx, id TagID) (bool, error) {
	return exists(ctx, tx, `SELECT EXISTS (SELECT 1 FROM member_tags WHERE tenant_id = $1 AND id = $2)`, string(id))
}

func exists(ctx context.Context, tx *db.Tx, q, id string) (bool, error) {
	if !tenancy.ValidUUID(id) {
		return false, nil
	}
	var ok bool
	err := tx.GetContext(ctx, &ok, q, tenancy.ID(ctx), id)
	return ok, err
}
