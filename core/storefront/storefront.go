// Package storefront is each shop's customer-facing website, served by the
// core at "/" on the shop's host: server-rendered HTML (html/template,
// embedded templates and assets) for browsing — home, category and search,
// product — that works without JavaScript, and small HTML shells with
// vanilla JS for the member's side (cart, checkout, orders, member centre,
// login, distributor centre) that call the shop JSON API with the member
// token kept in localStorage. It also answers sitemap.xml and robots.txt.
//
// It owns no table: it reads through the catalogue and tenants services.
package storefront

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/tenants"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the storefront needs to know about the deployment.
type Config struct {
	// PublicURL is BANYAN_PUBLIC_URL: its scheme is used in canonical links.
	PublicURL     string
	DefaultTenant string
	// APIRoutes lists the API's routes as "METHOD /path/{var}": pages whose
	// API is not (yet) there say so instead of failing in the browser.
	APIRoutes map[string]bool
}

// Handler serves every shop's storefront.
type Handler struct {
	Cfg     Config
	Tenants *tenants.Service
	Catalog *catalog.Service
	Log     *slog.Logger
	// PaymentProviders lists the payment plugins the shop of ctx enabled
	// (checkout and the order page offer them); nil offers none.
	PaymentProviders func(ctx context.Context) ([]string, error)

	pages  map[string]*template.Template
	mux    *http.ServeMux
	static http.Handler
}

// New builds the handler.
func New(cfg Config, t *tenants.Service, c *catalog.Service, log *slog.Logger) *Handler {
	h := &Handler{Cfg: cfg, Tenants: t, Catalog: c, Log: log, pages: map[string]*template.Template{}}
	funcs := template.FuncMap{"money": money, "add": func(a, b int) int { return a + b }}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		h.pages[base] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
	}
	sub, _ := fs.Sub(staticFS, "static")
	h.static = http.StripPrefix("/static/"+assetVersion+"/", http.FileServer(http.FS(sub)))
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", h.home)
	m.HandleFunc("GET /search", h.search)
	m.HandleFunc("GET /c/{id}", h.category)
	m.HandleFunc("GET /p/{id}", h.product)
	m.HandleFunc("GET /sitemap.xml", h.sitemap)
	m.HandleFunc("GET /robots.txt", h.robots)
	for _, s := range shells {
		m.HandleFunc("GET "+s.path, h.shell(s))
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, errs.E(errs.NotFound, "page not found"))
	})
	h.mux = m
	return h
}

type ctxKey struct{}

// shop is the resolved tenant and the request's language.
type shop struct {
	T    tenants.Tenant
	Lang string
}

func shopOf(ctx context.Context) shop { s, _ := ctx.Value(ctxKey{}).(shop); return s }

// ServeHTTP resolves the shop by host (or X-Tenant), refuses unknown (404)
// and suspended (403) shops with a plain page, and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/static/") {
		if !strings.HasPrefix(r.URL.Path, "/static/"+assetVersion+"/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		h.static.ServeHTTP(w, r)
		return
	}
	lang := langOf(w, r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	t, err := h.Tenants.Resolve(r.Context(), r.Host, r.Header.Get("X-Tenant"), h.Cfg.DefaultTenant)
	if err != nil {
		h.plain(w, r, lang, err)
		return
	}
	if t.Status != tenants.StatusActive {
		h.plain(w, r, lang, errs.E(errs.TenantSuspended, "this shop is suspended"))
		return
	}
	ctx := tenancy.With(r.Context(), t.Context())
	ctx = context.WithValue(ctx, ctxKey{}, shop{T: t, Lang: lang})
	h.mux.ServeHTTP(w, r.WithContext(ctx))
}

// plain answers the unbranded 404 (no such shop) or 403 (suspended) page.
func (h *Handler) plain(w http.ResponseWriter, r *http.Request, lang string, err error) {
	status, key := http.StatusNotFound, "shop_not_found"
	var e *errs.Error
	switch {
	case errors.As(err, &e) && e.Code == errs.TenantSuspended:
		status, key = http.StatusForbidden, "shop_suspended"
	case errors.As(err, &e) && e.Code == errs.NotFound:
	default:
		h.Log.ErrorContext(r.Context(), "storefront: resolve tenant", "err", err)
		status, key = http.StatusInternalServerError, "error"
	}
	m := messages(lang)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = plainTmpl.Execute(w, map[string]string{"Lang": htmlLang(lang), "Title": m[key], "Text": m[key+"_text"]})
}

var plainTmpl = template.Must(template.New("plain").Parse(`<!doctype html><html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font:16px/1.6 system-ui,sans-serif;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center;color:#333;background:#f6f6f6}main{text-align:center;padding:24px}</style>
</head><body><main><h1>{{.Title}}</h1><p>{{.Text}}</p></main></body></html>`))

// errorPage answers a branded error page inside a resolved shop.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	var e *errs.Error
	if errors.As(err, &e) {
		switch e.Code {
		case errs.NotFound:
			status = http.StatusNotFound
		case errs.Invalid:
			status = http.StatusBadRequest
		}
	}
	if status == http.StatusInternalServerError {
		h.Log.ErrorContext(r.Context(), "storefront", "path", r.URL.Path, "err", err)
	}
	p := h.newPage(r, "")
	key := map[int]string{404: "page_not_found", 400: "bad_request"}[status]
	if key == "" {
		key = "error"
	}
	p.Title = p.M[key]
	p.NoIndex = true
	p.Data = map[string]string{"Text": p.M[key+"_text"]}
	h.render(w, r, status, "error", p, false)
}

// Page is what every template gets.
type Page struct {
	Shop        tenants.Tenant
	Color       template.CSS
	Lang        string // zh-CN | en
	HTMLLang    string
	M           map[string]string
	Title       string
	Description string
	Canonical   string
	OG          map[string]string // og:type, og:image, ...
	JSONLD      template.JS
	NoIndex     bool
	Path        string
	Query       string
	Asset       string // /static/{version}
	LangURL     string // this page in the other language
	Data        any
	// API is the API's route set, for shells ("POST /api/v1/shop/quote").
	API map[string]bool
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func (h *Handler) newPage(r *http.Request, title string) *Page {
	s := shopOf(r.Context())
	c := s.T.PrimaryColor
	if !colorRe.MatchString(c) {
		c = "#e4393c"
	}
	m := messages(s.Lang)
	p := &Page{Shop: s.T, Color: template.CSS(c), Lang: s.Lang, HTMLLang: htmlLang(s.Lang), M: m, Title: title,
		Path: r.URL.Path, Asset: "/static/" + assetVersion, API: h.Cfg.APIRoutes, OG: map[string]string{}}
	p.Canonical = h.absURL(r, r.URL.Path)
	q := r.URL.Query()
	q.Set("lang", m["lang_switch"])
	q.Del("cursor")
	p.LangURL = r.URL.Path + "?" + q.Encode()
	return p
}

// base is the shop's canonical origin: the scheme of BANYAN_PUBLIC_URL and
// the shop's custom domain, or the host the request came to.
func (h *Handler) base(r *http.Request) string {
	scheme := "http"
	if u, err := url.Parse(h.Cfg.PublicURL); err == nil && u.Scheme != "" {
		scheme = u.Scheme
	}
	host := r.Host
	if t := shopOf(r.Context()).T; t.CustomDomain != nil && *t.CustomDomain != "" {
		host = *t.CustomDomain
	}
	return scheme + "://" + host
}

func (h *Handler) absURL(r *http.Request, path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return h.base(r) + path
}

// render writes a page. cacheable pages (the same for every visitor of a
// language) may be kept briefly by the browser and shared caches.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page, cacheable bool) {
	if p.Description == "" {
		p.Description = p.Shop.Name
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Cookie")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "strict-origin-when-cross-origin")
	if cacheable && w.Header().Get("Set-Cookie") == "" {
		w.Header().Set("Cache-Control", "public, max-age=60, stale-while-revalidate=300")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	var b strings.Builder
	if err := h.pages[name].ExecuteTemplate(&b, "layout.html", p); err != nil {
		h.Log.ErrorContext(r.Context(), "storefront: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = fmt.Fprint(w, b.String())
	}
}
