package storefront

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"

	"golang.org/x/net/html"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/page"
)

// productLD is the schema.org Product of a product page (JSON; json.Marshal
// escapes <, > and &, so it is safe inside a script element).
func (h *Handler) productLD(r *http.Request, p catalog.Product, stock int) string {
	cur := shopOf(r.Context()).T.Currency
	avail := "https://schema.org/InStock"
	if stock <= 0 {
		avail = "https://schema.org/OutOfStock"
	}
	u := h.absURL(r, "/p/"+string(p.ID))
	images := make([]string, 0, len(p.Images))
	for _, i := range p.Images {
		images = append(images, h.absURL(r, i))
	}
	var offers any
	if len(p.SKUs) == 1 || p.MinPrice.Equal(p.MaxPrice) {
		o := map[string]any{"@type": "Offer", "price": money(p.MinPrice), "priceCurrency": cur, "availability": avail, "url": u}
		if len(p.SKUs) == 1 {
			o["sku"] = p.SKUs[0].Code
		}
		offers = o
	} else {
		offers = map[string]any{"@type": "AggregateOffer", "lowPrice": money(p.MinPrice), "highPrice": money(p.MaxPrice),
			"priceCurrency": cur, "availability": avail, "offerCount": len(p.SKUs), "url": u}
	}
	ld := map[string]any{
		"@context": "https://schema.org", "@type": "Product", "name": p.Title, "image": images,
		"description": describe(p), "sku": p.Code, "url": u, "offers": offers,
	}
	if p.Brand != "" {
		ld["brand"] = map[string]any{"@type": "Brand", "name": p.Brand}
	}
	b, _ := json.Marshal(ld)
	return string(b)
}

// sitemapLimit bounds the products listed (the protocol allows 50,000 URLs
// per file).
const sitemapLimit = 10_000

type urlset struct {
	XMLName xml.Name   `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapU `xml:"url"`
}

type sitemapU struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemap lists the home page, the categories and the on-sale products
// (newest first), reading the catalogue a page of 100 at a time.
func (h *Handler) sitemap(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	set := urlset{URLs: []sitemapU{{Loc: h.absURL(r, "/")}}}
	tree, err := h.Catalog.ShopCategories(ctx)
	if err != nil {
		h.errorPage(w, r, err)
		return
	}
	var walk func([]*catalog.Category)
	walk = func(cs []*catalog.Category) {
		for _, c := range cs {
			set.URLs = append(set.URLs, sitemapU{Loc: h.absURL(r, "/c/"+string(c.ID))})
			walk(c.Children)
		}
	}
	walk(tree)
	cursor := ""
	for n := 0; n < sitemapLimit; {
		res, err := h.Catalog.Search(ctx, catalog.Query{Sort: catalog.SortNewest, Statuses: []catalog.Status{catalog.OnSale},
			Page: page.Request{Cursor: cursor, Limit: page.MaxLimit}})
		if err != nil {
			h.errorPage(w, r, err)
			return
		}
		for _, c := range res.Items {
			set.URLs = append(set.URLs, sitemapU{Loc: h.absURL(r, "/p/"+string(c.ID)), LastMod: c.CreatedAt.UTC().Format("2006-01-02")})
			n++
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	_ = enc.Encode(set)
}

// robots allows the shop's pages and keeps crawlers out of the API, the
// consoles and the member's pages.
func (h *Handler) robots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write([]byte("User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /admin/\nDisallow: /cart\nDisallow: /checkout\nDisallow: /me\nDisallow: /login\nDisallow: /distributor\n\nSitemap: " + h.absURL(r, "/sitemap.xml") + "\n"))
}

// sizeImages gives every <img> of a (sanitised) description width and
// height attributes when it lacks them — the page reserves their space
// (CSS keeps the aspect from the real image once loaded) — and lazy loading.
func sizeImages(s string) string {
	if !strings.Contains(s, "<img") {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		t := z.Token()
		if (tt == html.StartTagToken || tt == html.SelfClosingTagToken) && t.Data == "img" {
			has := map[string]bool{}
			for _, a := range t.Attr {
				has[a.Key] = true
			}
			if !has["width"] || !has["height"] {
				t.Attr = append(filterAttrs(t.Attr, "width", "height"), html.Attribute{Key: "width", Val: "750"}, html.Attribute{Key: "height", Val: "750"})
			}
			if !has["loading"] {
				t.Attr = append(t.Attr, html.Attribute{Key: "loading", Val: "lazy"})
			}
		}
		b.WriteString(t.String())
	}
}

func filterAttrs(as []html.Attribute, drop ...string) []html.Attribute {
	out := as[:0:0]
	for _, a := range as {
		keep := true
		for _, d := range drop {
			keep = keep && a.Key != d
		}
		if keep {
			out = append(out, a)
		}
	}
	return out
}

// stripTags is the text of an HTML fragment.
func stripTags(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
			b.WriteByte(' ')
		}
	}
}
