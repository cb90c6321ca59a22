package orders

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/tenancy"
)

// CartOwner is whose cart: a member, or a visitor before logging in.
type CartOwner string

var visitorRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// MemberCart is a member's cart.
func MemberCart(id identity.MemberID) CartOwner { return CartOwner("m:" + string(id)) }

// VisitorCart is an anonymous visitor's cart; the id is the visitor's own
// random token (16–64 URL-safe characters).
func VisitorCart(visitor string) (CartOwner, error) {
	if !visitorRe.MatchString(visitor) {
		return "", errs.Field("X-Visitor-Id", "invalid", "16 to 64 letters, digits, - or _")
	}
	return CartOwner("v:" + visitor), nil
}

// MaxCartLines bounds a cart.
const MaxCartLines = 100

// CartLine is a line as the buyer sees it; Valid is false (with Problem)
// when the SKU is gone, off shelf or short of stock.
type CartLine struct {
	SKUID     string          `json:"sku_id"`
	ProductID string          `json:"product_id"`
	Title     string          `json:"title"`
	Spec      string          `json:"spec"`
	Image     string          `json:"image"`
	Price     decimal.Decimal `json:"price"`
	Qty       int             `json:"qty"`
	Stock     int             `json:"stock"`
	Valid     bool            `json:"valid"`
	Problem   string          `json:"problem,omitempty"` // gone | off_shelf | out_of_stock | insufficient_stock
	AddedAt   time.Time       `json:"added_at"`
}

// Cart is a cart.
type Cart struct {
	Lines []CartLine `json:"lines"`
}

type cartRow struct {
	SKUID   string    `db:"sku_id"`
	Qty     int       `db:"qty"`
	AddedAt time.Time `db:"added_at"`
}

// Cart answers the owner's cart with each line's state now.
func (s *Service) Cart(ctx context.Context, owner CartOwner) (Cart, error) {
	var c Cart
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		c, err = s.cart(ctx, tx, owner)
		return err
	})
	return c, err
}

func (s *Service) cart(ctx context.Context, tx *db.Tx, owner CartOwner) (Cart, error) {
	var rows []cartRow
	if err := tx.SelectContext(ctx, &rows, `SELECT sku_id, qty, added_at FROM cart_lines WHERE tenant_id = $1 AND owner = $2 ORDER BY added_at DESC, sku_id`, tid(ctx), owner); err != nil {
		return Cart{}, fmt.Errorf("cart: %w", err)
	}
	ids := make([]catalog.SKUID, len(rows))
	for i, r := range rows {
		ids[i] = catalog.SKUID(r.SKUID)
	}
	views, err := s.Catalog.SKUsForQuote(ctx, tx, ids)
	if err != nil {
		return Cart{}, err
	}
	by := map[string]catalog.SKUView{}
	for _, v := range views {
		by[string(v.SKUID)] = v
	}
	c := Cart{Lines: []CartLine{}}
	for _, r := range rows {
		l := CartLine{SKUID: r.SKUID, Qty: r.Qty, AddedAt: r.AddedAt}
		v, ok := by[r.SKUID]
		switch {
		case !ok:
			l.Problem = "gone"
		case v.Status != catalog.OnSale:
			l.Problem = "off_shelf"
		case v.Stock == 0:
			l.Problem = "out_of_stock"
		case v.Stock < r.Qty:
			l.Problem = "insufficient_stock"
		}
		if ok {
			l.ProductID, l.Title, l.Spec, l.Image, l.Price, l.Stock = string(v.ProductID), v.Title, v.Spec, v.Image, v.Price, v.Stock
		}
		l.Valid = l.Problem == ""
		c.Lines = append(c.Lines, l)
	}
	return c, nil
}

// CartLineInput sets a SKU's quantity in the cart.
type CartLineInput struct {
	SKUID string `json:"sku_id"`
	Qty   int    `json:"qty"`
}

// AddToCart adds qty of a SKU (to what is there); SetCartLine sets it.
func (s *Service) AddToCart(ctx context.Context, owner CartOwner, in CartLineInput) (Cart, error) {
	return s.putCart(ctx, owner, in, true)
}

// SetCartLine sets a line's quantity.
func (s *Service) SetCartLine(ctx context.Context, owner CartOwner, in CartLineInput) (Cart, error) {
	return s.putCart(ctx, owner, in, false)
}

func (s *Service) putCart(ctx context.Context, owner CartOwner, in CartLineInput, add bool) (Cart, error) {
	v := errs.Validator{}
	v.Check(in.Qty >= 1 && in.Qty <= 9999, "qty", "out_of_range", "a quantity from 1 to 9999")
	if err := v.Err(); err != nil {
		return Cart{}, err
	}
	if !tenancy.ValidUUID(in.SKUID) {
		return Cart{}, errs.Field("sku_id", "not_found", "no such SKU")
	}
	var c Cart
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		views, err := s.Catalog.SKUsForQuote(ctx, tx, []catalog.SKUID{catalog.SKUID(in.SKUID)})
		if err != nil {
			return err
		}
		if len(views) == 0 {
			return errs.E(errs.NotFound, "SKU not found")
		}
		if views[0].Status != catalog.OnSale {
			return errs.Field("sku_id", "off_shelf", "this SKU is not on sale")
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM cart_lines WHERE tenant_id = $1 AND owner = $2 AND sku_id <> $3`, tid(ctx), owner, in.SKUID); err != nil {
			return err
		}
		if n >= MaxCartLines {
			return errs.Field("sku_id", "too_many", fmt.Sprintf("a cart holds at most %d lines", MaxCartLines))
		}
		q := `INSERT INTO cart_lines (tenant_id, owner, sku_id, qty) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, owner, sku_id) DO UPDATE SET qty = least(9999, `
		if add {
			q += `cart_lines.qty + EXCLUDED.qty)`
		} else {
			q += `EXCLUDED.qty)`
		}
		if _, err := tx.ExecContext(ctx, q, tid(ctx), owner, in.SKUID, in.Qty); err != nil {
			return fmt.Errorf("cart: %w", err)
		}
		c, err = s.cart(ctx, tx, owner)
		return err
	})
	return c, err
}

// RemoveCartLine removes a SKU from the cart.
func (s *Service) RemoveCartLine(ctx context.Context, owner CartOwner, sku string) (Cart, error) {
	if !tenancy.ValidUUID(sku) {
		return Cart{}, errs.E(errs.NotFound, "no such cart line")
	}
	var c Cart
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM cart_lines WHERE tenant_id = $1 AND owner = $2 AND sku_id = $3`, tid(ctx), owner, sku)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "no such cart line")
		}
		c, err = s.cart(ctx, tx, owner)
		return err
	})
	return c, err
}

// MergeCart moves a visitor's cart into the member's at login: quantities
// of a SKU in both add up (at most 9999); the visitor's cart is emptied.
func (s *Service) MergeCart(ctx context.Context, member identity.MemberID, visitor string) (Cart, error) {
	from, err := VisitorCart(visitor)
	if err != nil {
		return Cart{}, err
	}
	to := MemberCart(member)
	var c Cart
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `
WITH moved AS (DELETE FROM cart_lines WHERE tenant_id = $1 AND owner = $2 RETURNING sku_id, qty, added_at)
INSERT INTO cart_lines (tenant_id, owner, sku_id, qty, added_at) SELECT $1, $3, sku_id, qty, added_at FROM moved
ON CONFLICT (tenant_id, owner, sku_id) DO UPDATE SET qty = least(9999, cart_lines.qty + EXCLUDED.qty)`, tid(ctx), from, to); err != nil {
			return fmt.Errorf("merge cart: %w", err)
		}
		var err error
		c, err = s.cart(ctx, tx, to)
		return err
	})
	return c, err
}
