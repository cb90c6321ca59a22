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

// AddressID identifies a shipping address.
type AddressID string

// MaxAddresses is how many shipping addresses a member may keep.
const MaxAddresses = 20

// Address is one of a member's shipping addresses. At most one is the
// default; the first address a member adds is.
type Address struct {
	ID         AddressID `db:"id" json:"id"`
	Name       string    `db:"name" json:"name"` // recipient
	Phone      string    `db:"phone" json:"phone"`
	Province   string    `db:"province" json:"province"`
	City       string    `db:"city" json:"city"`
	District   string    `db:"district" json:"district"`
	Detail     string    `db:"detail" json:"detail"`
	PostalCode string    `db:"postal_code" json:"postal_code"`
	IsDefault  bool      `db:"is_default" json:"is_default"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time `db:"updated_at" json:"updated_at"`
}

// AddressInput adds an address (all but district, postal code and
// is_default required) or changes one (the fields sent).
type AddressInput struct {
	Name       *string `json:"name"`
	Phone      *string `json:"phone"`
	Province   *string `json:"province"`
	City       *string `json:"city"`
	District   *string `json:"district"`
	Detail     *string `json:"detail"`
	PostalCode *string `json:"postal_code"`
	IsDefault  *bool   `json:"is_default"`
}

var postalRe = regexp.MustCompile(`^[0-9A-Za-z -]{0,12}$`)

func (in *AddressInput) validate(create bool) error {
	v := errs.Validator{}
	text := func(p *string, field string, min, max int) {
		if p == nil {
			v.Check(!create || min == 0, field, "required", field+" is required")
			return
		}
		*p = strings.TrimSpace(*p)
		n := utf8.RuneCountInString(*p)
		switch {
		case n < min:
			v.Add(field, "required", field+" is required")
		case n > max:
			v.Add(field, "too_long", fmt.Sprintf("at most %d characters", max))
		}
	}
	text(in.Name, "name", 1, 32)
	text(in.Province, "province", 1, 32)
	text(in.City, "city", 1, 32)
	text(in.District, "district", 0, 32)
	text(in.Detail, "detail", 1, 200)
	if in.Phone == nil {
		v.Check(!create, "phone", "required", "phone is required")
	} else {
		p, err := NormalizePhone("phone", *in.Phone)
		v.Merge("phone", err)
		*in.Phone = p
	}
	if in.PostalCode != nil {
		*in.PostalCode = strings.TrimSpace(*in.PostalCode)
		v.Check(postalRe.MatchString(*in.PostalCode), "postal_code", "invalid", "up to 12 letters, digits, spaces or '-'")
	}
	return v.Err()
}

const addressCols = `id, name, phone, province, city, district, detail, postal_code, is_default, created_at, updated_at`

// ListAddresses returns the member's addresses, the default first.
func (s *Service) ListAddresses(ctx context.Context, member identity.MemberID) ([]Address, error) {
	out := []Address{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+addressCols+` FROM member_addresses WHERE tenant_id = $1 AND member_id = $2
ORDER BY is_default DESC, created_at, id`, tenancy.ID(ctx), member)
	})
	return out, err
}

// Address returns one of the member's addresses in the caller's transaction
// (checkout copies it onto the order).
func (s *Service) Address(ctx context.Context, tx *db.Tx, member identity.MemberID, id AddressID) (Address, error) {
	var a Address
	if !tenancy.ValidUUID(string(id)) {
		return a, errs.E(errs.NotFound, "address not found")
	}
	err := tx.GetContext(ctx, &a, `SELECT `+addressCols+` FROM member_addresses WHERE tenant_id = $1 AND member_id = $2 AND id = $3`, tenancy.ID(ctx), member, id)
	return a, db.NotFound(err, "address")
}

// lockMember serialises a member's changes to their own rows (addresses):
// FOR NO KEY UPDATE does not block sessions or other rows referencing them.
func lockMember(ctx context.Context, tx *db.Tx, id identity.MemberID) error {
	var one int
	err := tx.GetContext(ctx, &one, `SELECT 1 FROM members WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`, tenancy.ID(ctx), id)
	return db.NotFound(err, "member")
}

// defaultRace is the answer when the one-default index refuses a write that
// the member lock should have serialised: it says which field and changes
// nothing.
func defaultRace(err error) error {
	if db.IsUnique(err, "member_addresses_default_key") {
		return errs.Field("is_default", "conflict", "another address became the default at the same moment; try again")
	}
	return err
}

// CreateAddress adds an address (at most MaxAddresses). Making it the
// default takes the flag from the previous default.
func (s *Service) CreateAddress(ctx context.Context, member identity.MemberID, in AddressInput) (Address, error) {
	if err := in.validate(true); err != nil {
		return Address{}, err
	}
	var a Address
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		if err := lockMember(ctx, tx, member); err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM member_addresses WHERE tenant_id = $1 AND member_id = $2`, tid, member); err != nil {
			return err
		}
		if n >= MaxAddresses {
			return errs.E(errs.InvalidState, "a member keeps at most %d addresses; delete one first", MaxAddresses)
		}
		def := n == 0 || (in.IsDefault != nil && *in.IsDefault)
		if def {
			if _, err := tx.ExecContext(ctx, `UPDATE member_addresses SET is_default = false, updated_at = now() WHERE tenant_id = $1 AND member_id = $2 AND is_default`, tid, member); err != nil {
				return err
			}
		}
		district, postal := "", ""
		if in.District != nil {
			district = *in.District
		}
		if in.PostalCode != nil {
			postal = *in.PostalCode
		}
		err := tx.GetContext(ctx, &a, `
INSERT INTO member_addresses (tenant_id, member_id, name, phone, province, city, district, detail, postal_code, is_default)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+addressCols,
			tid, member, *in.Name, *in.Phone, *in.Province, *in.City, district, *in.Detail, postal, def)
		if err != nil {
			return fmt.Errorf("create address: %w", defaultRace(err))
		}
		return nil
	})
	return a, err
}

// UpdateAddress changes one of the member's addresses.
func (s *Service) UpdateAddress(ctx context.Context, member identity.MemberID, id AddressID, in AddressInput) (Address, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Address{}, errs.E(errs.NotFound, "address not found")
	}
	if err := in.validate(false); err != nil {
		return Address{}, err
	}
	var a Address
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		if err := lockMember(ctx, tx, member); err != nil {
			return err
		}
		if in.IsDefault != nil && *in.IsDefault {
			if _, err := tx.ExecContext(ctx, `UPDATE member_addresses SET is_default = false, updated_at = now()
WHERE tenant_id = $1 AND member_id = $2 AND is_default AND id <> $3`, tid, member, id); err != nil {
				return err
			}
		}
		err := tx.GetContext(ctx, &a, `
UPDATE member_addresses SET
  name        = COALESCE($4, name),
  phone       = COALESCE($5, phone),
  province    = COALESCE($6, province),
  city        = COALESCE($7, city),
  district    = COALESCE($8, district),
  detail      = COALESCE($9, detail),
  postal_code = COALESCE($10, postal_code),
  is_default  = COALESCE($11, is_default),
  updated_at  = now()
WHERE tenant_id = $1 AND member_id = $2 AND id = $3 RETURNING `+addressCols,
			tid, member, id, in.Name, in.Phone, in.Province, in.City, in.District, in.Detail, in.PostalCode, in.IsDefault)
		if err != nil {
			return fmt.Errorf("update address: %w", db.NotFound(defaultRace(err), "address"))
		}
		return nil
	})
	return a, err
}

// DeleteAddress removes one of the member's addresses; when it was the
// default, the most recently added other address becomes the default.
func (s *Service) DeleteAddress(ctx context.Context, member identity.MemberID, id AddressID) error {
	if !tenancy.ValidUUID(string(id)) {
		return errs.E(errs.NotFound, "address not found")
	}
	return s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		if err := lockMember(ctx, tx, member); err != nil {
			return err
		}
		var wasDefault bool
		err := tx.GetContext(ctx, &wasDefault, `DELETE FROM member_addresses WHERE tenant_id = $1 AND member_id = $2 AND id = $3 RETURNING is_default`, tid, member, id)
		if err != nil {
			return db.NotFound(err, "address")
		}
		if wasDefault {
			_, err = tx.ExecContext(ctx, `UPDATE member_addresses SET is_default = true, updated_at = now() WHERE tenant_id = $1 AND id = (
  SELECT id FROM member_addresses WHERE tenant_id = $1 AND member_id = $2 ORDER BY created_at DESC, id LIMIT 1)`, tid, member)
		}
		return err
	})
}
