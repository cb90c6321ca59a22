package distribution

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"github.com/skip2/go-qrcode"
	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/tenancy"
)

// activeCode returns the acting member's referral code; only active
// distributors share links.
func (s *Service) activeCode(ctx context.Context, member identity.MemberID) (string, error) {
	d, err := s.Distributor(ctx, string(member))
	if errs.Is(err, errs.NotFound) {
		return "", errs.E(errs.NotFound, "you are not a distributor of this shop: apply first")
	}
	if err != nil {
		return "", err
	}
	if d.Status != "active" {
		return "", errs.E(errs.InvalidState, "your distributor status is %s", d.Status)
	}
	return d.Code, nil
}

// QRCode is a PNG QR code (size × size pixels) of the member's referral
// link at origin (scheme://host of the shop).
func (s *Service) QRCode(ctx context.Context, member identity.MemberID, origin string, size int) ([]byte, error) {
	code, err := s.activeCode(ctx, member)
	if err != nil {
		return nil, err
	}
	if size < 128 || size > 1024 {
		size = 512
	}
	return qrcode.Encode(origin+"/r/"+code, qrcode.Medium, size)
}

// PosterProduct is the product a poster shares (title and price; Image is
// nil when the product has no image stored locally: a placeholder block
// is drawn instead).
type PosterProduct struct {
	Title string
	Price string
	Image image.Image
}

// Poster renders a 600×900 share poster: the shop's colour band and name,
// the product image (or a placeholder), title, price, the referral QR code
// and the code. Text uses the CJK font of loadPosterFont (BANYAN_FONT_FILE
// or Debian's fonts-wqy-microhei); without one it falls back to the
// Latin-only 7×13 bitmap face of golang.org/x/image (scaled ×2), where
// Chinese renders as '?' — the QR code and the code are unaffected.
func (s *Service) Poster(ctx context.Context, member identity.MemberID, origin string, p PosterProduct, shopColor string) ([]byte, error) {
	code, err := s.activeCode(ctx, member)
	if err != nil {
		return nil, err
	}
	shop := ""
	if t, ok := tenancy.From(ctx); ok {
		shop = t.Name
	}
	qr, err := qrcode.New(origin+"/r/"+code, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	brand := parseColor(shopColor)
	face := s.posterFace(24)
	if face != nil {
		defer face.Close()
	}
	text := func(dst *image.RGBA, str string, x, y int, c color.Color) { drawText(dst, face, str, x, y, c) }
	img := image.NewRGBA(image.Rect(0, 0, 600, 900))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, 0, 600, 80), image.NewUniform(brand), image.Point{}, draw.Src)
	text(img, shop, 20, 25, color.White)
	area := image.Rect(20, 100, 580, 560)
	if p.Image != nil {
		draw.ApproxBiLinear.Scale(img, fit(p.Image.Bounds(), area), p.Image, p.Image.Bounds(), draw.Over, nil)
	} else {
		draw.Draw(img, area, image.NewUniform(color.RGBA{0xee, 0xee, 0xee, 0xff}), image.Point{}, draw.Src)
		text(img, "no image", 250, 320, color.Gray{0x99})
	}
	text(img, fitWidth(face, p.Title, 560), 20, 580, color.Black)
	text(img, p.Price, 20, 630, brand)
	draw.Draw(img, image.Rect(360, 640, 580, 860), image.NewUniform(color.White), image.Point{}, draw.Src)
	qimg := qr.Image(220)
	draw.Draw(img, image.Rect(360, 640, 580, 860), qimg, image.Point{}, draw.Src)
	text(img, "code "+code, 20, 780, color.Black)
	text(img, "scan to shop", 20, 820, color.Gray{0x66})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("poster: %w", err)
	}
	return buf.Bytes(), nil
}

// drawText draws s at (x, y) (top-left of a 26-pixel line) with face, or
// without one in the 7×13 bitmap face scaled ×2 (non-ASCII as '?').
func drawText(dst *image.RGBA, face font.Face, s string, x, y int, c color.Color) {
	if s == "" {
		return
	}
	if face != nil {
		m := face.Metrics()
		// Centre the glyphs' ascent+descent in the 26-pixel line.
		top := (fixed.I(26) - m.Ascent - m.Descent) / 2
		d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face,
			Dot: fixed.Point26_6{X: fixed.I(x), Y: fixed.I(y) + top + m.Ascent}}
		d.DrawString(s)
		return
	}
	s = latin(s)
	small := image.NewRGBA(image.Rect(0, 0, 7*len(s), 13))
	d := font.Drawer{Dst: small, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(0, 11)}
	d.DrawString(s)
	w := min(2*small.Bounds().Dx(), dst.Bounds().Dx()-x)
	draw.NearestNeighbor.Scale(dst, image.Rect(x, y, x+w, y+26), small, image.Rect(0, 0, w/2, 13), draw.Over, nil)
}

// latin maps what the bitmap face lacks to '?'.
func latin(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// fitWidth shortens s (on rune boundaries) to fit width pixels, ending it
// with "..." when cut.
func fitWidth(face font.Face, s string, width int) string {
	measure := func(s string) int {
		if face == nil {
			return 14 * len(latin(s)) // every rune is one 14-pixel cell
		}
		return font.MeasureString(face, s).Ceil()
	}
	if measure(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && measure(string(r)+"...") > width {
		r = r[:len(r)-1]
	}
	return string(r) + "..."
}

// fit centres src's aspect ratio inside area.
func fit(src, area image.Rectangle) image.Rectangle {
	sw, sh := src.Dx(), src.Dy()
	aw, ah := area.Dx(), area.Dy()
	if sw == 0 || sh == 0 {
		return area
	}
	w, h := aw, sh*aw/sw
	if h > ah {
		w, h = sw*ah/sh, ah
	}
	x0, y0 := area.Min.X+(aw-w)/2, area.Min.Y+(ah-h)/2
	return image.Rect(x0, y0, x0+w, y0+h)
}

func parseColor(hex string) color.RGBA {
	var r, g, b uint8
	if _, err := fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return color.RGBA{0x1f, 0x7a, 0x4d, 0xff}
	}
	return color.RGBA{r, g, b, 0xff}
}
