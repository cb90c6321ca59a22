package api

import (
	"image"
	_ "image/gif"  // product images
	_ "image/jpeg" // product images
	_ "image/png"  // product images
	"net/http"
	"path"
	"strconv"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/tenancy"
)

// The distributor's share images: a QR code of the referral link and a
// product poster carrying it.
func init() {
	register(
		Route{Name: "shopDistributorQRCode", Method: "GET", Path: "/api/v1/shop/distributor/qrcode.png", Access: Member, Raw: true,
			Summary: "PNG QR code of the distributor's referral link", Query: []string{"size"}, H: (*Server).handleDistributorQRCode},
		Route{Name: "shopDistributorPoster", Method: "GET", Path: "/api/v1/shop/distributor/poster.png", Access: Member, Raw: true,
			Summary: "PNG share poster: shop colour and name, product image, title, price, referral QR code", Query: []string{"product_id"},
			H: (*Server).handleDistributorPoster},
	)
}

func writePNG(w http.ResponseWriter, b []byte) error {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, err := w.Write(b)
	return err
}

func (s *Server) handleDistributorQRCode(w http.ResponseWriter, r *http.Request) error {
	size, _ := strconv.Atoi(r.URL.Query().Get("size"))
	b, err := s.Distribution.QRCode(r.Context(), actingMember(r), origin(r), size)
	if err != nil {
		return err
	}
	return writePNG(w, b)
}

func (s *Server) handleDistributorPoster(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var pp distribution.PosterProduct
	if id := r.URL.Query().Get("product_id"); id != "" {
		p, err := s.Catalog.Product(ctx, catalog.ProductID(id))
		if err != nil {
			return err
		}
		pp.Title, pp.Price = p.Title, "CNY "+p.MinPrice.StringFixed(2)
		if len(p.Images) > 0 {
			// Only images stored by this shop are read (never a remote URL).
			if f, _, err := s.Catalog.OpenUpload(ctx, tenancy.ID(ctx), path.Base(p.Images[0])); err == nil {
				if img, _, err := image.Decode(f); err == nil {
					pp.Image = img
				}
				f.Close()
			}
		}
	}
	color := ""
	if t, err := s.Tenants.ByID(ctx, tenancy.ID(ctx)); err == nil {
		color = t.PrimaryColor
	}
	b, err := s.Distribution.Poster(ctx, actingMember(r), origin(r), pp, color)
	if err != nil {
		return err
	}
	return writePNG(w, b)
}
