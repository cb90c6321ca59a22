package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
)

// Carrier is one of the shop's carriers. Parcels record its code.
type Carrier struct {
	Code        string    `db:"code" json:"code"`
	Name        string    `db:"name" json:"name"`
	TrackingURL string    `db:"tracking_url" json:"tracking_url"` // http(s) URL with {tracking_no}, or empty
	Enabled     bool      `db:"enabled" json:"enabled"`
	SortOrder   int       `db:"sort_order" json:"sort_order"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// CarrierInput creates a carrier (code required) or changes one (the fields
// sent; code cannot change).
type CarrierInput struct {
	Code        string  `json:"code,omitempty"`
	Name        *string `json:"name,omitempty"`
	TrackingURL *string `json:"tracking_url,omitempty"`
	Enabled     *bool   `json:"enabled,omitempty"`
	SortOrder   *int    `json:"sort_order,omitempty"`
}

// TrackingPlaceholder is replaced by the (escaped) tracking number in a
// carrier's tracking URL.
const TrackingPlaceholder = "{tracking_no}"

// DefaultCarriers are seeded into a shop the first time it uses carriers.
var DefaultCarriers = []Carrier{
	{Code: "SF", Name: "顺丰速运", TrackingURL: "https://www.kuaidi100.com/chaxun?com=shunfeng&nu={tracking_no}"},
	{Code: "ZTO", Name: "中通快递", TrackingURL: "https://www.kuaidi100.com/chaxun?com=zhongtong&nu={tracking_no}"},
	{Code: "YTO", Name: "圆通速递", TrackingURL: "https://www.kuaidi100.com/chaxun?com=yuantong&nu={tracking_no}"},
	{Code: "YUNDA", Name: "韵达快递", TrackingURL: "https://www.kuaidi100.com/chaxun?com=yunda&nu={tracking_no}"},
	{Code: "STO", Name: "申通快递", TrackingURL: "https://www.kuaidi100.com/chaxun?com=shentong&nu={tracking_no}"},
	{Code: "EMS", Name: "邮政EMS", TrackingURL: "https://www.kuaidi100.com/chaxun?com=ems&nu={tracking_no}"},
	{Code: "JD", Name: "京东物流", TrackingURL: "https://www.kuaidi100.com/chaxun?com=jd&nu={tracking_no}"},
	{Code: "JT", Name: "极兔速递", TrackingURL: "https://www.kuaidi100.com/chaxun?com=jtexpress&nu={tracking_no}"},
}

var carrierCodeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,31}$`)

const carrierCols = `code, name, tracking_url, enabled, sort_order, created_at, updated_at`

// TrackingLink fills a carrier's tracking URL template with a tracking
// number; empty when the carrier has no template.
func TrackingLink(template, trackingNo string) string {
	if template == "" {
		return ""
	}
	return strings.ReplaceAll(template, TrackingPlaceholder, url.QueryEscape(trackingNo))
}

func checkCarrier(v *errs.Validator, in CarrierInput, create bool) {
	if create {
		v.Check(carrierCodeRe.MatchString(in.Code), "code", "invalid", "1 to 32 of A–Z, 0–9, _ and -, starting with a letter or digit")
		v.Check(in.Name != nil, "name", "required", "the carrier's name")
	}
	if in.Name != nil {
		n := len([]rune(strings.TrimSpace(*in.Name)))
		v.Check(n >= 1 && n <= 64, "name", "out_of_range", "1 to 64 characters")
	}
	if in.TrackingURL != nil && *in.TrackingURL != "" {
		u, err := url.Parse(*in.TrackingURL)
		v.Check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(*in.TrackingURL) <= 500 &&
			strings.Contains(*in.TrackingURL, TrackingPlaceholder),
			"tracking_url", "invalid", "an http(s) URL of at most 500 characters containing "+TrackingPlaceholder)
	}
	if in.SortOrder != nil {
		v.Check(*in.SortOrder >= -100000 && *in.SortOrder <= 100000, "sort_order", "out_of_range", "-100000 to 100000")
	}
}

// seedCarriers gives a shop the default carriers the first time it uses
// carriers (once: a shop that deleted them keeps them deleted). Concurrent
// first uses wait on carrier_seeds' key; only the winner inserts.
func seedCarriers(ctx context.Context, tx *db.Tx) error {
	var seeded bool
	if err := tx.GetContext(ctx, &seeded, `SELECT EXISTS (SELECT 1 FROM carrier_seeds WHERE tenant_id = $1)`, tid(ctx)); err != nil {
		return fmt.Errorf("carrier seeds: %w", err)
	}
	if seeded {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO carrier_seeds (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING`, tid(ctx))
	if err != nil {
		return fmt.Errorf("carrier seeds: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	codes, names, urls, orders := make([]string, len(DefaultCarriers)), make([]string, len(DefaultCarriers)), make([]string, len(DefaultCarriers)), make([]int64, len(DefaultCarriers))
	for i, c := range DefaultCarriers {
		codes[i], names[i], urls[i], orders[i] = c.Code, c.Name, c.TrackingURL, int64((i+1)*10)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO carriers (tenant_id, code, name, tracking_url, sort_order)
SELECT $1::uuid, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]) ON CONFLICT DO NOTHING`,
		tid(ctx), pq.Array(codes), pq.Array(names), pq.Array(urls), pq.Array(orders)); err != nil {
		return fmt.Errorf("seed carriers: %w", err)
	}
	return nil
}

// Carriers answers the shop's carriers by sort order, seeding the defaults
// on first use; enabledOnly leaves out the disabled ones.
func (s *Service) Carriers(ctx context.Context, enabledOnly bool) ([]Carrier, error) {
	out := []Carrier{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := seedCarriers(ctx, tx); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &out, `SELECT `+carrierCols+` FROM carriers WHERE tenant_id = $1 AND (enabled OR NOT $2) ORDER BY sort_order, code`,
			tid(ctx), enabledOnly)
	})
	return out, err
}

// Carrier answers one carrier by code (another shop's, or none: 404).
func (s *Service) Carrier(ctx context.Context, code string) (Carrier, error) {
	var out Carrier
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := seedCarriers(ctx, tx); err != nil {
			return err
		}
		return db.NotFound(tx.GetContext(ctx, &out, `SELECT `+carrierCols+` FROM carriers WHERE tenant_id = $1 AND code = $2`, tid(ctx), code), "carrier")
	})
	return out, err
}

// CreateCarrier adds a carrier; a code the shop already has is 409.
func (s *Service) CreateCarrier(ctx context.Context, in CarrierInput) (Carrier, error) {
	v := errs.Validator{}
	checkCarrier(&v, in, true)
	if err := v.Err(); err != nil {
		return Carrier{}, err
	}
	enabled, sortOrder, trackingURL := true, 0, ""
	if in.Enabled != nil {
		enabled = *in.Enabled
	}
	if in.SortOrder != nil {
		sortOrder = *in.SortOrder
	}
	if in.TrackingURL != nil {
		trackingURL = *in.TrackingURL
	}
	var out Carrier
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := seedCarriers(ctx, tx); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &out, `INSERT INTO carriers (tenant_id, code, name, tracking_url, enabled, sort_order) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT DO NOTHING RETURNING `+carrierCols, tid(ctx), in.Code, strings.TrimSpace(*in.Name), trackingURL, enabled, sortOrder)
		if errors.Is(err, sql.ErrNoRows) {
			return &errs.Error{Code: errs.Conflict, Message: "the shop already has this carrier", Fields: []errs.FieldError{{Field: "code", Code: "taken", Message: "already used"}}}
		}
		return err
	})
	return out, err
}

// UpdateCarrier changes the fields sent.
func (s *Service) UpdateCarrier(ctx context.Context, code string, in CarrierInput) (Carrier, error) {
	v := errs.Validator{}
	checkCarrier(&v, in, false)
	v.Check(in.Code == "" || in.Code == code, "code", "immutable", "a carrier's code cannot change (parcels record it)")
	if err := v.Err(); err != nil {
		return Carrier{}, err
	}
	var name *string
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		name = &n
	}
	var out Carrier
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := seedCarriers(ctx, tx); err != nil {
			return err
		}
		return db.NotFound(tx.GetContext(ctx, &out, `UPDATE carriers SET name = coalesce($3, name), tracking_url = coalesce($4, tracking_url),
enabled = coalesce($5, enabled), sort_order = coalesce($6, sort_order), updated_at = now()
WHERE tenant_id = $1 AND code = $2 RETURNING `+carrierCols, tid(ctx), code, name, in.TrackingURL, in.Enabled, in.SortOrder), "carrier")
	})
	return out, err
}

// DeleteCarrier removes a carrier. Parcels shipped with it keep its code
// (they show the code instead of the name from then on).
func (s *Service) DeleteCarrier(ctx context.Context, code string) error {
	return s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := seedCarriers(ctx, tx); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM carriers WHERE tenant_id = $1 AND code = $2`, tid(ctx), code)
		if err != nil {
			return fmt.Errorf("delete carrier: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "carrier not found")
		}
		return nil
	})
}

// checkShipCarriers refuses parcels whose carrier is not an enabled carrier
// of the shop (field parcels[i].carrier, code unknown_carrier).
func checkShipCarriers(ctx context.Context, tx *db.Tx, parcels []ParcelInput) error {
	if err := seedCarriers(ctx, tx); err != nil {
		return err
	}
	codes := make([]string, len(parcels))
	for i, p := range parcels {
		codes[i] = p.Carrier
	}
	var enabled []string
	if err := tx.SelectContext(ctx, &enabled, `SELECT code FROM carriers WHERE tenant_id = $1 AND enabled AND code = ANY($2)`, tid(ctx), pq.Array(codes)); err != nil {
		return fmt.Errorf("ship carriers: %w", err)
	}
	ok := map[string]bool{}
	for _, c := range enabled {
		ok[c] = true
	}
	v := errs.Validator{}
	for i, p := range parcels {
		v.Check(ok[p.Carrier], fmt.Sprintf("parcels[%d].carrier", i), "unknown_carrier", "not an enabled carrier of the shop (see /api/v1/admin/carriers)")
	}
	return v.Err()
}
