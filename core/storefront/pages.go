package storefront

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// assetVersion is part of the static URLs, so that they can be cached
// forever; bump it when static/ changes.
const assetVersion = "v7"

const visitorCookie = "banyan_vid" // shared with the shop API (recommendations)

// viewer is the visitor of the banyan_vid cookie; issue gives one to a
// visitor without it.
func viewer(w http.ResponseWriter, r *http.Request, issue bool) catalog.Viewer {
	var v catalog.Viewer
	if c, err := r.Cookie(visitorCookie); err == nil && catalog.ValidVisitorID(c.Value) {
		v.VisitorID = c.Value
	} else if issue {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		v.VisitorID = hex.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: visitorCookie, Value: v.VisitorID, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	return v
}

// card is a product in a grid.
type card struct {
	catalog.Card
	Symbol string
}

func cards(cs []catalog.Card, sym string) []card {
	out := make([]card, len(cs))
	for i, c := range cs {
		out[i] = card{Card: c, Symbol: sym}
	}
	return out
}

func symbol(cur string) string {
	if s, ok := currencySymbols[cur]; ok {
		return s
	}
	return cur + " "
}

type homeData struct {
	Categories []*catalog.Category
	Recommend  []card
	Newest     []card
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := shopOf(ctx)
	sym := symbol(s.T.Currency)
	tree, err := h.Catalog.ShopCategories(ctx)
	if err != nil {
		h.errorPage(w, r, err)
		return
	}
	recs, err := h.Catalog.Recommend(ctx, nil, catalog.Viewer{}, 10)
	if err != nil {
		h.errorPage(w, r, err)
		return
	}
	newest, err := h.Catalog.Search(ctx, catalog.Query{Sort: catalog.SortNewest, Statuses: []catalog.Status{catalog.OnSale}, Page: page.Request{Limit: 10}})
	if err != nil {
		h.errorPage(w, r, err)
		return
	}
	d := homeData{Categories: tree, Newest: cards(newest.Items, sym)}
	for _, rc := range recs {
		d.Recommend = append(d.Recommend, card{Card: rc.Product, Symbol: sym})
	}
	p := h.newPage(r, s.T.Name)
	p.Description = p.M["home_description"] + " " + s.T.Name
	p.OG["og:type"] = "website"
	if s.T.LogoURL != "" {
		p.OG["og:image"] = h.absURL(r, s.T.LogoURL)
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "home", p, true)
}

type sortLink struct {
	Key, Label, URL string
	Active          bool
}

type facetLink struct {
	URL, Label string
	Count      int
	Active     bool
}

type searchData struct {
	Q, Min, Max, Sort string
	Category          *catalog.Category
	Categories        []*catalog.Category
	Facets            []catalog.Facet
	Items             []card
	More              string
	Sorts             []sortLink
	FacetLinks        []facetLink
	CategoryParam     string
}

func (h *Handler) category(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, r.PathValue("id"))
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, r.URL.Query().Get("category"))
}

// list is the search page and the category page: keyword, category, price
// range, sort, facet counts per category and a cursor "more" link.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, cat string) {
	ctx := r.Context()
	s := shopOf(ctx)
	qs := r.URL.Query()
	d := searchData{Q: strings.TrimSpace(qs.Get("q")), Min: qs.Get("min"), Max: qs.Get("max"), Sort: qs.Get("sort"), CategoryParam: cat}
	q := catalog.Query{Keyword: d.Q, Sort: d.Sort, Statuses: []catalog.Status{catalog.OnSale}, Facets: true,
		Page: page.Request{Cursor: qs.Get("cursor"), Limit: 20}}
	if d.Sort == catalog.SortRelevance && d.Q == "" {
		q.Sort, d.Sort = "", ""
	}
	if cat != "" {
		if !tenancy.ValidUUID(cat) {
			h.errorPage(w, r, errs.E(errs.NotFound, "category not found"))
			return
		}
		id := catalog.CategoryID(cat)
		q.CategoryID = &id
	}
	parse := func(raw string) *decimal.Decimal {
		if v, err := decimal.NewFromString(raw); err == nil && !v.IsNegative() {
			return &v
		}
		return nil
	}
	q.MinPrice, q.MaxPrice = parse(d.Min), parse(d.Max)
	if q.MinPrice != nil && q.MaxPrice != nil && q.MaxPrice.LessThan(*q.MinPrice) {
		q.MaxPrice = nil
	}
	tree, err := h.Catalog.ShopCategories(ctx)
	if err != nil {
		h.errorPage(w, r, err)
		return
	}
	d.Categories = tree
	if q.CategoryID != nil {
		d.Category = findCategory(tree, *q.CategoryID)
		if d.Category == nil {
			h.errorPage(w, r, errs.E(errs.NotFound, "category not found"))
			return
		}
	}
	res, err := h.Catalog.Search(ctx, q)
	if err != nil {
		h.errorPage(w, r, err)
		return
	}
	d.Items, d.Facets = cards(res.Items, symbol(s.T.Currency)), res.Facets
	base := url.Values{}
	for _, k := range []string{"q", "min", "max"} {
		if v := qs.Get(k); v != "" {
			base.Set(k, v)
		}
	}
	path := r.URL.Path
	if path == "/search" && cat != "" {
		base.Set("category", cat)
	}
	sorts := []string{catalog.SortNewest, catalog.SortSales, catalog.SortPriceAsc, catalog.SortPriceDesc}
	if d.Q != "" {
		sorts = append([]string{catalog.SortRelevance}, sorts...)
	}
	cur := q.Sort
	if cur == "" {
		cur = catalog.SortNewest
		if d.Q != "" {
			cur = catalog.SortRelevance
		}
	}
	// Facets: the top-level categories, and the children of the one chosen.
	for _, f := range res.Facets {
		top := f.ParentID == nil
		child := d.Category != nil && f.ParentID != nil && *f.ParentID == d.Category.ID
		if !top && !child {
			continue
		}
		v := url.Values{"category": {string(f.CategoryID)}}
		if d.Q != "" {
			v.Set("q", d.Q)
		}
		d.FacetLinks = append(d.FacetLinks, facetLink{URL: "/search?" + v.Encode(), Label: f.Name, Count: f.Count,
			Active: d.Category != nil && d.Category.ID == f.CategoryID})
	}
	p := h.newPage(r, "")
	for _, k := range sorts {
		v := cloneValues(base)
		v.Set("sort", k)
		d.Sorts = append(d.Sorts, sortLink{Key: k, Label: p.M["sort_"+k], URL: path + "?" + v.Encode(), Active: k == cur})
	}
	if res.NextCursor != "" {
		v := cloneValues(base)
		if d.Sort != "" {
			v.Set("sort", d.Sort)
		}
		v.Set("cursor", res.NextCursor)
		d.More = path + "?" + v.Encode()
	}
	switch {
	case d.Category != nil && d.Q == "":
		p.Title = d.Category.Name + " - " + s.T.Name
		p.Description = d.Category.Name + " | " + s.T.Name
		p.Canonical = h.absURL(r, "/c/"+string(d.Category.ID))
	case d.Q != "":
		p.Title = d.Q + " - " + p.M["search"] + " - " + s.T.Name
		p.Description = p.M["results_for"] + ": " + d.Q + " | " + s.T.Name
		p.NoIndex = true // search result pages are not for indexing
		v := url.Values{"q": {d.Q}}
		p.Canonical = h.absURL(r, "/search?"+v.Encode())
	default:
		p.Title = p.M["all_categories"] + " - " + s.T.Name
		p.Canonical = h.absURL(r, "/search")
	}
	if qs.Get("cursor") != "" {
		p.NoIndex = true
	}
	p.OG["og:type"] = "website"
	p.Data = d
	h.render(w, r, http.StatusOK, "search", p, true)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func findCategory(tree []*catalog.Category, id catalog.CategoryID) *catalog.Category {
	for _, c := range tree {
		if c.ID == id {
			return c
		}
		if f := findCategory(c.Children, id); f != nil {
			return f
		}
	}
	return nil
}

// categoryPath is the breadcrumb of id, root first.
func categoryPath(tree []*catalog.Category, id catalog.CategoryID) []*catalog.Category {
	for _, c := range tree {
		if c.ID == id {
			return []*catalog.Category{c}
		}
		if p := categoryPath(c.Children, id); p != nil {
			return append([]*catalog.Category{c}, p...)
		}
	}
	return nil
}

type productData struct {
	P          catalog.Product
	Symbol     string
	Price      string // "99.00" or "99.00 - 129.00"
	Original   string
	Stock      int
	Images     []string
	Desc       template.HTML
	Crumbs     []*catalog.Category
	Recommend  []card
	SKUJSON    template.JS
	InStockSKU []catalog.SKU
}

func (h *Handler) product(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := shopOf(ctx)
	id := catalog.ProductID(r.PathValue("id"))
	v := viewer(w, r, true)
	prod, err := h.Catalog.ShopProduct(ctx, id, v)
	if err != nil {
		h.errorPage(w, r, err)
		return
	}
	tree, err := h.Catalog.ShopCategories(ctx)
	if err != nil {
		h.errorPage(w, r, err)
		return
	}
	recs, err := h.Catalog.Recommend(ctx, &id, v, 6)
	if err != nil {
		h.errorPage(w, r, err)
		return
	}
	sym := symbol(s.T.Currency)
	d := productData{P: prod, Symbol: sym, Desc: template.HTML(sizeImages(prod.Description)), Images: prod.Images}
	d.Price = money(prod.MinPrice)
	if !prod.MaxPrice.Equal(prod.MinPrice) {
		d.Price += " - " + money(prod.MaxPrice)
	}
	var maxOrig decimal.Decimal
	for _, k := range prod.SKUs {
		d.Stock += k.Stock
		if k.OriginalPrice != nil && k.OriginalPrice.GreaterThan(maxOrig) {
			maxOrig = *k.OriginalPrice
		}
	}
	if maxOrig.GreaterThan(prod.MaxPrice) {
		d.Original = money(maxOrig)
	}
	if prod.CategoryID != nil {
		d.Crumbs = categoryPath(tree, *prod.CategoryID)
	}
	for _, rc := range recs {
		d.Recommend = append(d.Recommend, card{Card: rc.Product, Symbol: sym})
	}
	type skuJS struct {
		ID    catalog.SKUID     `json:"id"`
		Spec  map[string]string `json:"spec"`
		Text  string            `json:"text"`
		Price string            `json:"price"`
		Orig  string            `json:"original,omitempty"`
		Stock int               `json:"stock"`
		Image string            `json:"image,omitempty"`
	}
	js := struct {
		ID       catalog.ProductID  `json:"id"`
		Title    string             `json:"title"`
		Image    string             `json:"image"`
		Symbol   string             `json:"symbol"`
		Specs    []catalog.SpecAttr `json:"specs"`
		SKUs     []skuJS            `json:"skus"`
		Currency string             `json:"currency"`
	}{ID: prod.ID, Title: prod.Title, Symbol: sym, Specs: prod.Specs, Currency: s.T.Currency, SKUs: []skuJS{}}
	if len(prod.Images) > 0 {
		js.Image = prod.Images[0]
	}
	for _, k := range prod.SKUs {
		o := ""
		if k.OriginalPrice != nil {
			o = money(*k.OriginalPrice)
		}
		js.SKUs = append(js.SKUs, skuJS{ID: k.ID, Spec: k.Spec, Text: k.SpecText, Price: money(k.Price), Orig: o, Stock: k.Stock, Image: k.Image})
	}
	b, _ := json.Marshal(js)
	d.SKUJSON = template.JS(b)

	p := h.newPage(r, prod.Title+" - "+s.T.Name)
	p.Description = describe(prod)
	p.Canonical = h.absURL(r, "/p/"+string(prod.ID))
	p.OG["og:type"] = "product"
	if len(prod.Images) > 0 {
		p.OG["og:image"] = h.absURL(r, prod.Images[0])
	}
	p.OG["product:price:amount"] = money(prod.MinPrice)
	p.OG["product:price:currency"] = s.T.Currency
	p.JSONLD = template.JS(h.productLD(r, prod, d.Stock))
	p.Data = d
	h.render(w, r, http.StatusOK, "product", p, false)
}

// describe is a product's meta description: the subtitle, else the start
// of the description's text.
func describe(p catalog.Product) string {
	s := p.Subtitle
	if s == "" {
		s = stripTags(p.Description)
	}
	if s == "" {
		s = p.Title
	}
	rs := []rune(strings.Join(strings.Fields(s), " "))
	if len(rs) > 150 {
		rs = append(rs[:150], '…')
	}
	return string(rs)
}

// shell is a page rendered empty and filled by JavaScript from the API.
type shellPage struct {
	path, tmpl, title string
	needs             []string // API routes the page cannot work without
}

var shells = []shellPage{
	{"/cart", "cart", "cart", nil},
	{"/checkout", "checkout", "checkout", []string{"POST /api/v1/shop/quote", "POST /api/v1/shop/orders"}},
	{"/login", "login", "login", nil},
	{"/me", "me", "member_centre", nil},
	{"/me/orders", "orders", "orders", []string{"GET /api/v1/shop/orders"}},
	{"/me/orders/{id}", "order", "orders", []string{"GET /api/v1/shop/orders/{id}"}},
	{"/distributor", "distributor", "distributor", []string{"GET /api/v1/shop/distributor"}},
}

type shellData struct {
	Missing   bool
	ID        string
	Providers []string // payment plugins (checkout, order)
}

func (h *Handler) shell(sp shellPage) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := h.newPage(r, "")
		p.Title = p.M[sp.title] + " - " + p.Shop.Name
		p.NoIndex = true
		d := shellData{ID: r.PathValue("id")}
		for _, n := range sp.needs {
			if !h.Cfg.APIRoutes[n] {
				d.Missing = true
			}
		}
		if (sp.tmpl == "checkout" || sp.tmpl == "order") && h.PaymentProviders != nil {
			var err error
			if d.Providers, err = h.PaymentProviders(r.Context()); err != nil {
				h.errorPage(w, r, err)
				return
			}
		}
		p.Data = d
		h.render(w, r, http.StatusOK, sp.tmpl, p, true)
	}
}
