package tenants

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/banyanmall/banyan/core/errs"
)

// Banner is one slide of the storefront home's banner, set by the merchant
// in shop settings.
type Banner struct {
	// Image is an https URL or a path on this server (an uploaded image,
	// /uploads/...).
	Image string `json:"image"`
	// Link is where a tap leads: "" (nowhere), a storefront path (/p/..., /c/...)
	// or an https URL.
	Link string `json:"link"`
	// Title is the image's alternative text (optional).
	Title string `json:"title"`
	// Sort orders the banners, ascending (ties keep their order).
	Sort int `json:"sort"`
}

// MaxBanners is how many banners a shop may show.
const MaxBanners = 10

// Banners is a shop's banners in display order; stored as jsonb.
type Banners []Banner

// Scan reads the jsonb column.
func (b *Banners) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	case nil:
		*b = Banners{}
		return nil
	default:
		return fmt.Errorf("banners: cannot scan %T", src)
	}
	out := Banners{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("banners: %w", err)
	}
	*b = out
	return nil
}

// Value writes the jsonb column (a string: lib/pq's binary parameters).
func (b Banners) Value() (driver.Value, error) {
	if b == nil {
		b = Banners{}
	}
	raw, err := json.Marshal([]Banner(b))
	return string(raw), err
}

// localPath is a path on this server, not a protocol-relative URL.
func localPath(s string) bool {
	return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.ContainsAny(s, " \t\r\n\\")
}

func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && !strings.ContainsAny(s, " \t\r\n")
}

// validate checks every banner (errors at banners[i].field), trims them
// and puts them in display order.
func (b Banners) validate(v *errs.Validator) {
	v.Check(len(b) <= MaxBanners, "banners", "too_many", fmt.Sprintf("at most %d banners", MaxBanners))
	for i := range b {
		f := func(name string) string { return fmt.Sprintf("banners[%d].%s", i, name) }
		x := &b[i]
		x.Image, x.Link, x.Title = strings.TrimSpace(x.Image), strings.TrimSpace(x.Link), strings.TrimSpace(x.Title)
		v.Check(x.Image != "", f("image"), "required", "an image: an https URL or an uploaded image's path")
		v.Check(x.Image == "" || len(x.Image) <= 1024 && (httpsURL(x.Image) || localPath(x.Image)), f("image"), "invalid_url",
			"an https URL or a path on this shop (/uploads/...)")
		v.Check(x.Link == "" || len(x.Link) <= 1024 && (httpsURL(x.Link) || localPath(x.Link)), f("link"), "invalid_url",
			"a storefront path (/p/..., /c/...) or an https URL")
		v.Check(utf8.RuneCountInString(x.Title) <= 64, f("title"), "too_long", "at most 64 characters")
		v.Check(x.Sort >= 0 && x.Sort <= 9999, f("sort"), "out_of_range", "0 to 9999")
	}
	sort.SliceStable(b, func(i, j int) bool { return b[i].Sort < b[j].Sort })
}
