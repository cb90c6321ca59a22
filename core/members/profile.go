package members

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/tenancy"
)

// ProfilePatch is what a member may change about themself. Phone, email,
// status, level and referrer are not theirs to set.
type ProfilePatch struct {
	Name      *string `json:"name"`
	AvatarURL *string `json:"avatar_url"`
	Gender    *string `json:"gender"`   // unknown | male | female
	Birthday  *string `json:"birthday"` // YYYY-MM-DD, "" clears it
}

var avatarRe = regexp.MustCompile(`^(https?://[^\s]+|/[^\s]*)$`)

func (p *ProfilePatch) validate() error {
	v := errs.Validator{}
	if p.Name != nil {
		*p.Name = strings.TrimSpace(*p.Name)
		v.Check(utf8.RuneCountInString(*p.Name) <= 64, "name", "too_long", "at most 64 characters")
	}
	if p.AvatarURL != nil {
		*p.AvatarURL = strings.TrimSpace(*p.AvatarURL)
		v.Check(*p.AvatarURL == "" || (avatarRe.MatchString(*p.AvatarURL) && len(*p.AvatarURL) <= 1024), "avatar_url", "invalid_url", "an http(s) URL or a path, at most 1024 characters")
	}
	if p.Gender != nil {
		g := *p.Gender
		v.Check(g == "unknown" || g == "male" || g == "female", "gender", "invalid", `"unknown", "male" or "female"`)
	}
	if p.Birthday != nil && *p.Birthday != "" {
		d, err := time.Parse("2006-01-02", *p.Birthday)
		v.Check(err == nil && d.Year() >= 1900 && d.Before(time.Now()), "birthday", "invalid_date", "a date like 1990-05-17, in the past")
	}
	return v.Err()
}

// UpdateProfile changes the member's own profile.
func (s *Service) UpdateProfile(ctx context.Context, id identity.MemberID, p ProfilePatch) (Member, error) {
	if err := p.validate(); err != nil {
		return Member{}, err
	}
	var m Member
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		err := tx.GetContext(ctx, &m, `
UPDATE members SET
  name       = COALESCE($3, name),
  avatar_url = COALESCE($4, avatar_url),
  gender     = COALESCE($5, gender),
  birthday   = CASE WHEN $6::text IS NULL THEN birthday ELSE nullif($6::text, '')::date END,
  updated_at = now()
WHERE tenant_id = $1 AND id = $2 RETURNING `+memberCols, tenancy.ID(ctx), id, p.Name, p.AvatarURL, p.Gender, p.Birthday)
		if err != nil {
			return fmt.Errorf("update profile: %w", db.NotFound(err, "member"))
		}
		return nil
	})
	return m, err
}
