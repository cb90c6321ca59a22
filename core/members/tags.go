package members

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// TagID identifies a member tag.
type TagID string

// MaxTags is how many tags a shop may define.
const MaxTags = 500

// Tag is a merchant-defined label; a member may carry many.
type Tag struct {
	ID        TagID     `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	Members   int64     `db:"members" json:"members"` // how many members carry it
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// TagInput names a tag.
type TagInput struct {
	Name string `json:"name"`
}

func (in *TagInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 32 {
		return errs.Field("name", "invalid", "1–32 characters")
	}
	return nil
}

func tagWriteError(err error) error {
	if db.IsUnique(err, "member_tags_name_key") {
		return errs.Field("name", "taken", "another tag has this name")
	}
	return err
}

// ListTags returns the shop's tags by name, with how many members carry each.
func (s *Service) ListTags(ctx context.Context) ([]Tag, error) {
	out := []Tag{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `
SELECT t.id, t.name, t.created_at, (SELECT count(*) FROM member_tag_links l WHERE l.tenant_id = t.tenant_id AND l.tag_id = t.id) AS members
FROM member_tags t WHERE t.tenant_id = $1 ORDER BY t.name`, tenancy.ID(ctx))
	})
	return out, err
}

// CreateTag adds a tag.
func (s *Service) CreateTag(ctx context.Context, in TagInput) (Tag, error) {
	if err := in.validate(); err != nil {
		return Tag{}, err
	}
	var t Tag
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM member_tags WHERE tenant_id = $1`, tid); err != nil {
			return err
		}
		if n >= MaxTags {
			return errs.E(errs.InvalidState, "a shop has at most %d tags; delete one first", MaxTags)
		}
		if err := tx.GetContext(ctx, &t, `INSERT INTO member_tags (tenant_id, name) VALUES ($1, $2) RETURNING id, name, created_at`, tid, in.Name); err != nil {
			return fmt.Errorf("create tag: %w", tagWriteError(err))
		}
		return audit.Record(ctx, tx, tid, "member_tag.create", "member_tag", string(t.ID), in)
	})
	return t, err
}

// RenameTag renames a tag.
func (s *Service) RenameTag(ctx context.Context, id TagID, in TagInput) (Tag, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Tag{}, errs.E(errs.NotFound, "tag not found")
	}
	if err := in.validate(); err != nil {
		return Tag{}, err
	}
	var t Tag
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		err := tx.GetContext(ctx, &t, `UPDATE member_tags SET name = $3 WHERE tenant_id = $1 AND id = $2 RETURNING id, name, created_at,
  (SELECT count(*) FROM member_tag_links l WHERE l.tenant_id = $1 AND l.tag_id = $2) AS members`, tid, id, in.Name)
		if err != nil {
			return fmt.Errorf("rename tag: %w", db.NotFound(tagWriteError(err), "tag"))
		}
		return audit.Record(ctx, tx, tid, "member_tag.rename", "member_tag", string(id), in)
	})
	return t, err
}

// DeleteTag removes a tag from the shop and from every member carrying it.
func (s *Service) DeleteTag(ctx context.Context, id TagID) error {
	if !tenancy.ValidUUID(string(id)) {
		return errs.E(errs.NotFound, "tag not found")
	}
	return s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		res, err := tx.ExecContext(ctx, `DELETE FROM member_tags WHERE tenant_id = $1 AND id = $2`, tid, id)
		if err != nil {
			return fmt.Errorf("delete tag: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "tag not found")
		}
		return audit.Record(ctx, tx, tid, "member_tag.delete", "member_tag", string(id), nil)
	})
}
